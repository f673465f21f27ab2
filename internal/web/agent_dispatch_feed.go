package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/hub"
)

// The live feed of the dispatch consoles: one per server (per node).
//
// A single subscription to the event hub resolves each alert record once
// — its reference and unit, through alertRoute — and formats its
// Server-Sent Event once. The ready events go to a window shared by every
// connected console; each console reads the window from its own position
// and checks every event against its own dispatcher's area before writing
// it. The feed never waits for a console.
//
// A console behind the window — it connected with a Last-Event-ID older
// than the window, or it could not keep up and the window moved past it —
// replays on its own hub subscription (the hub's window, then the outbox
// table) from its position, writing what it reads, and goes back to the
// shared window as soon as its position is inside it again. The position
// is the outbox ID of the last record the console went past, so the
// change-over neither skips nor repeats an event: the window holds every
// alert event after its base, and the console writes only IDs above its
// position.
//
// The window is the only buffer, shared: a slow console costs nothing to
// the others and no memory of its own (its bound is the window; past it,
// replay mode). A console that cannot take a write for streamStall is
// closed; the browser's EventSource reconnects with Last-Event-ID.
//
// The feed runs while at least one console is connected (or replaying),
// and stops with the last one; it starts again from backfill IDs before
// the hub's head, so consoles reconnecting after a short break (or a
// restart) rejoin it without a replay of their own.

const (
	// feedWindowDefault is how many events the window keeps (it holds up
	// to twice as many before dropping the oldest).
	feedWindowDefault = 8192
	// feedBackfillDefault is how many outbox IDs before the hub's head a
	// starting feed reads back.
	feedBackfillDefault = 1024
	// feedWrite is how many events a console writes between flushes.
	feedWrite = 256
	// feedBatchMax is how many events the feed publishes at once.
	feedBatchMax = 1024
	// feedCoalesce is the least time between two publications of the
	// feed (see runFeed).
	feedCoalesce = 10 * time.Millisecond
	// streamStall is how long a console's connection may refuse a write
	// before the stream is closed.
	streamStall = 30 * time.Second
)

// liveEvent is one alert event ready to be written to any console of its
// area. Immutable once published.
type liveEvent struct {
	id   int64
	unit string // the alert's unit ("" : every dispatcher's)
	b    []byte // the whole SSE event: id, event, data
}

// feedView is one state of the shared window.
type feedView struct {
	// base: every alert event with an ID above base is in evs, or will be
	// in a later view.
	base int64
	evs  []*liveEvent  // in ID order
	next chan struct{} // closed when a later view replaces this one
}

// feedRun is one run of the feed, from its start to its last console.
type feedRun struct {
	view   atomic.Pointer[feedView]
	window int
	cancel context.CancelFunc
	done   chan struct{} // closed when the run's goroutine ended
}

// liveFeed starts and stops the feed with its consoles.
type liveFeed struct {
	mu    sync.Mutex
	run   *feedRun
	users int
	// window and backfill override the defaults (tests).
	window, backfill int
	// replays counts the consoles' changes to replay mode.
	replays atomic.Int64
	// hold, if set, is called before a console reads the window (tests:
	// a console that does not keep up).
	hold func(account.Principal)
}

// joinFeed returns the running feed, starting it if needed, and the
// feed's hold hook; the caller MUST call leaveFeed with it when its
// stream ends.
func (s *Server) joinFeed() (*feedRun, func(account.Principal)) {
	f := &s.live
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users++
	if f.run == nil {
		window, backfill := f.window, f.backfill
		if window <= 0 {
			window = feedWindowDefault
		}
		if backfill <= 0 {
			backfill = feedBackfillDefault
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := &feedRun{window: window, cancel: cancel, done: make(chan struct{})}
		start := max(0, s.d.Events.Head()-int64(backfill))
		r.view.Store(&feedView{base: start, next: make(chan struct{})})
		f.run = r
		go s.runFeed(ctx, r, start)
	}
	return f.run, f.hold
}

// leaveFeed says a stream that joined r ended; the last one stops it.
func (s *Server) leaveFeed(r *feedRun) {
	f := &s.live
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users--
	if f.users == 0 && f.run == r {
		r.cancel()
		f.run = nil
	}
}

func isAlertRecord(rec hub.Record) bool { return rec.Kind == caseref.Alert }

// runFeed reads the hub from start and publishes the ready events of
// alert records to r's window, in batches of what is waiting. It
// publishes at most once every feedCoalesce: an event that comes sooner
// after the last publication waits for the others that follow within
// that time, so that under load each console wakes, writes and flushes
// once for many events instead of once per event (an event that comes
// after a quiet moment goes out at once). The alerts of a batch that are
// not in the location cache are read from the store side by side
// (feedLocates at a time), not one after the other.
func (s *Server) runFeed(ctx context.Context, r *feedRun, start int64) {
	defer close(r.done)
	recs := s.d.Events.Subscribe(ctx, isAlertRecord, start)
	batch := make([]hub.Record, 0, feedBatchMax)
	evs := make([]*liveEvent, 0, feedBatchMax)
	var last time.Time
	for rec := range recs {
		batch = append(batch[:0], rec)
		wait := time.NewTimer(max(0, feedCoalesce-time.Since(last)))
	gather:
		for len(batch) < feedBatchMax {
			select {
			case rec, ok := <-recs:
				if !ok {
					break gather
				}
				batch = append(batch, rec)
			case <-wait.C:
				// What is waiting still goes in this batch.
				for len(batch) < feedBatchMax {
					select {
					case rec, ok := <-recs:
						if !ok {
							break gather
						}
						batch = append(batch, rec)
					default:
						break gather
					}
				}
			}
		}
		wait.Stop()
		s.locateAll(ctx, batch)
		evs = evs[:0]
		for _, rec := range batch {
			if ev := s.liveEvent(ctx, rec); ev != nil {
				evs = append(evs, ev)
			}
		}
		r.publish(evs)
		last = time.Now()
	}
}

// feedLocates is how many store reads of alerts the feed makes at once.
const feedLocates = 16

// locateAll fills the location cache for the alerts of recs, reading
// those it lacks side by side. Failures are left for liveEvent to retry.
func (s *Server) locateAll(ctx context.Context, recs []hub.Record) {
	var missing []string
	seen := map[string]bool{}
	s.located.mu.RLock()
	for _, rec := range recs {
		if _, ok := s.located.m[rec.CaseID]; !ok && !seen[rec.CaseID] {
			seen[rec.CaseID] = true
			missing = append(missing, rec.CaseID)
		}
	}
	s.located.mu.RUnlock()
	if len(missing) < 2 {
		return // liveEvent reads it
	}
	sem := make(chan struct{}, feedLocates)
	var wg sync.WaitGroup
	for _, id := range missing {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, _ = s.alertRoute(ctx, id)
		})
	}
	wg.Wait()
}

// publish appends evs to the window. Only the run's goroutine calls it.
func (r *feedRun) publish(evs []*liveEvent) {
	if len(evs) == 0 {
		return
	}
	old := r.view.Load()
	// Appending may write past the end of old.evs, in its spare capacity:
	// no reader of an earlier view reads there.
	all := append(old.evs, evs...)
	base := old.base
	if len(all) > 2*r.window {
		drop := len(all) - r.window
		base = all[drop-1].id
		all = append(make([]*liveEvent, 0, 2*r.window), all[drop:]...)
	}
	r.view.Store(&feedView{base: base, evs: all, next: make(chan struct{})})
	close(old.next)
}

// liveEvent resolves rec's alert and formats its event; nil when the
// alert is not found (erased) or ctx ended. A store failure is retried
// (the events after it wait: order is kept, nothing is skipped).
func (s *Server) liveEvent(ctx context.Context, rec hub.Record) *liveEvent {
	backoff := 50 * time.Millisecond
	for {
		l, err := s.alertRoute(ctx, rec.CaseID)
		if err == nil {
			data, _ := json.Marshal(dispatchEvent{Ref: l.ref, Type: rec.Type})
			b := make([]byte, 0, len(data)+48)
			b = append(b, "id: "...)
			b = strconv.AppendInt(b, rec.ID, 10)
			b = append(b, "\nevent: alert\ndata: "...)
			b = append(b, data...)
			b = append(b, "\n\n"...)
			return &liveEvent{id: rec.ID, unit: l.unit, b: b}
		}
		if errors.Is(err, guichet.ErrNotFound) || ctx.Err() != nil {
			return nil
		}
		s.d.Logger.WarnContext(ctx, "dispatch events: locate", "event", rec.ID, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// consoleStream is one console's event stream.
type consoleStream struct {
	s  *Server
	w  http.ResponseWriter
	rc *http.ResponseController
	r  *http.Request
	pr account.Principal
	// cursor is the outbox ID of the last record the stream went past:
	// everything up to it was written or is not for this console.
	cursor int64
	// The area check of the last unit seen (events come in runs of the
	// same unit); reset when the principal is read again.
	unit        string
	unitOK, has bool
	beat        *time.Ticker
	// stallSet is when the write deadline was last pushed back.
	stallSet time.Time
	hold     func(account.Principal) // liveFeed.hold
}

// inArea checks an event's unit against the console's principal.
func (c *consoleStream) inArea(unit string) bool {
	if !c.has || unit != c.unit {
		c.unit, c.unitOK, c.has = unit, alert.InArea(c.pr, alert.Alert{Case: casefile.Case{UnitID: unit}}), true
	}
	return c.unitOK
}

// stream serves the console from the feed run until the request or the
// session ends, or a write fails.
func (c *consoleStream) stream(run *feedRun) {
	ctx := c.r.Context()
	for {
		// Under a steady flow there is always something to write: the
		// session is read again on time all the same.
		select {
		case <-ctx.Done():
			return
		case <-c.beat.C:
			if !c.heartbeat() {
				return
			}
		default:
		}
		if c.hold != nil {
			c.hold(c.pr)
		}
		v := run.view.Load()
		if c.cursor < v.base {
			c.s.live.replays.Add(1)
			if !c.replay(run) {
				return
			}
			continue
		}
		i := sort.Search(len(v.evs), func(i int) bool { return v.evs[i].id > c.cursor })
		if i < len(v.evs) {
			if !c.write(v.evs[i:]) {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-c.beat.C:
			if !c.heartbeat() {
				return
			}
		case <-v.next:
		}
	}
}

// armStall pushes the write deadline back to streamStall from now —
// at most once a second, for a deadline is not free to set.
func (c *consoleStream) armStall() {
	now := time.Now()
	if now.Sub(c.stallSet) < time.Second {
		return
	}
	c.stallSet = now
	_ = c.rc.SetWriteDeadline(now.Add(streamStall))
}

// write writes the events of evs in the console's area, flushing every
// feedWrite events.
func (c *consoleStream) write(evs []*liveEvent) bool {
	for len(evs) > 0 {
		chunk := evs[:min(len(evs), feedWrite)]
		evs = evs[len(chunk):]
		n := 0
		for _, ev := range chunk {
			if !c.inArea(ev.unit) {
				continue
			}
			if n == 0 {
				c.armStall()
			}
			if _, err := c.w.Write(ev.b); err != nil {
				return false
			}
			n++
		}
		c.cursor = chunk[len(chunk)-1].id
		if n > 0 && c.rc.Flush() != nil {
			return false
		}
	}
	return true
}

// heartbeat reads the session again (a signed-out or demoted agent's
// stream ends; a changed area applies from now on) and says the stream
// is alive.
func (c *consoleStream) heartbeat() bool {
	pr, err := c.s.principal(c.r)
	if err != nil || !alert.IsDispatcher(pr) {
		return false
	}
	c.pr, c.has = pr, false
	c.armStall()
	if _, err := c.w.Write([]byte(": heartbeat\n\n")); err != nil {
		return false
	}
	return c.rc.Flush() == nil
}

// replay serves the console from its own hub subscription until its
// position is inside run's window again (true), or the stream ends
// (false). It takes every record, not only alerts, so that its position
// moves on even when no alert follows.
func (c *consoleStream) replay(run *feedRun) bool {
	ctx, cancel := context.WithCancel(c.r.Context())
	defer cancel()
	recs := c.s.d.Events.Subscribe(ctx, nil, c.cursor)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-c.beat.C:
			if !c.heartbeat() {
				return false
			}
		case rec, ok := <-recs:
			if !ok {
				return false
			}
			n := 0
			for i := 0; ; i++ {
				if rec.Kind == caseref.Alert {
					ev := c.s.liveEvent(ctx, rec)
					if ctx.Err() != nil {
						return false
					}
					if ev != nil && c.inArea(ev.unit) {
						if n == 0 {
							c.armStall()
						}
						if _, err := c.w.Write(ev.b); err != nil {
							return false
						}
						n++
					}
				}
				c.cursor = rec.ID
				if i == feedWrite-1 {
					break
				}
				more := false
				select {
				case rec, more = <-recs:
				default:
				}
				if !more {
					break
				}
			}
			if n > 0 && c.rc.Flush() != nil {
				return false
			}
			if c.cursor >= run.view.Load().base {
				return true
			}
		}
	}
}
