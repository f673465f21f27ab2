package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
)

// tune sets the feed's window and hold hook for the runs to come.
func (f *liveFeed) tune(window int, hold func(account.Principal)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.window, f.hold = window, hold
}

// collector reads a console's stream into a list.
type collector struct {
	mu   sync.Mutex
	evs  []sseEvent
	done chan struct{}
}

func collect(ch <-chan sseEvent) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ev := range ch {
			c.mu.Lock()
			c.evs = append(c.evs, ev)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) list() []sseEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sseEvent(nil), c.evs...)
}

// waitFor waits until c has n events (10 s at most) and returns them.
func (c *collector) waitFor(t *testing.T, name string, n int) []sseEvent {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		evs := c.list()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(end) {
			t.Fatalf("%s: %d events within 10 s, want %d", name, len(evs), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// refTypes words events as "ref type" and checks that their ids rise
// strictly: in order, none twice.
func refTypes(t *testing.T, name string, evs []sseEvent) []string {
	t.Helper()
	var out []string
	prev := int64(-1)
	for _, ev := range evs {
		id, err := strconv.ParseInt(ev.id, 10, 64)
		if err != nil || id <= prev {
			t.Fatalf("%s: id %q after %d: out of order or twice", name, ev.id, prev)
		}
		prev = id
		var d dispatchEvent
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
			t.Fatalf("%s: event %+v: %v", name, ev, err)
		}
		out = append(out, d.Ref+" "+d.Type)
	}
	return out
}

func raisedAndPosition(refs ...string) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r+" "+alert.EventRaised, r+" "+alert.EventPosition)
	}
	return out
}

// feedStopped waits until the server's live feed has stopped.
func feedStopped(t *testing.T, w *Server) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		w.live.mu.Lock()
		run, users := w.live.run, w.live.users
		w.live.mu.Unlock()
		if run == nil && users == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("live feed still running with %d consoles", users)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDispatchFeedFanOut: many consoles of two areas share one feed; each
// gets exactly its area's events, in order, once; the store is read once
// per alert, not once per console; the feed stops with the last console.
func TestDispatchFeedFanOut(t *testing.T) {
	e := newDispatchEnv(t)
	q := "?after=" + strconv.FormatInt(e.hub.Head(), 10)
	ctx, cancel := context.WithCancel(t.Context())
	type console struct {
		name string
		c    *collector
	}
	var norths, souths []console
	for i := range 12 {
		tok := e.north
		if i%3 == 0 {
			tok = e.north2
		}
		if i == 11 {
			tok = e.supervisor // the supervisor's area is the north unit
		}
		ch, _ := e.stream(ctx, tok, q)
		norths = append(norths, console{fmt.Sprintf("north %d", i), collect(ch)})
	}
	for i := range 4 {
		ch, _ := e.stream(ctx, e.south, q)
		souths = append(souths, console{fmt.Sprintf("south %d", i), collect(ch)})
	}
	before := e.locates.Load()
	var n, s []string
	for i := range 6 {
		if i%2 == 0 {
			n = append(n, e.raise(paris, 2.3484+float64(i)/1000))
		} else {
			s = append(s, e.raise(lyonLat, lyonLon))
		}
	}
	for _, want := range []struct {
		cs   []console
		want []string
	}{{norths, raisedAndPosition(n...)}, {souths, raisedAndPosition(s...)}} {
		for _, c := range want.cs {
			got := refTypes(t, c.name, c.c.waitFor(t, c.name, len(want.want)))
			if fmt.Sprint(got) != fmt.Sprint(want.want) {
				t.Errorf("%s got %v, want %v", c.name, got, want.want)
			}
		}
	}
	time.Sleep(300 * time.Millisecond)
	for _, c := range append(norths, souths...) {
		if k := len(c.c.list()); k != 2*3 {
			t.Errorf("%s: %d events, want 6", c.name, k)
		}
	}
	// One read per alert for 16 consoles (the cache may be started afresh,
	// never per console).
	if got := e.locates.Load() - before; got > 6 {
		t.Errorf("%d store reads for 6 alerts and 16 consoles", got)
	}
	if r := e.web.live.replays.Load(); r != 0 {
		t.Errorf("%d replays, want none: every console started inside the feed", r)
	}
	cancel()
	for _, c := range append(norths, souths...) {
		<-c.c.done
	}
	feedStopped(t, e.web)
}

// TestDispatchFeedSlowConsole: a console that stops reading while the
// window moves past it holds up no other console; when it reads again it
// replays what it missed from the hub and rejoins the feed, nothing lost,
// nothing twice, and it stays live.
func TestDispatchFeedSlowConsole(t *testing.T) {
	e := newDispatchEnv(t)
	release := make(chan struct{})
	var once sync.Once
	held := make(chan struct{})
	// The window keeps at most 4 events.
	e.web.live.tune(2, func(p account.Principal) {
		if p.Pseudonym != "DN02" {
			return
		}
		select {
		case <-release:
		default:
			once.Do(func() { close(held) })
			<-release
		}
	})
	q := "?after=" + strconv.FormatInt(e.hub.Head(), 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fastCh, _ := e.stream(ctx, e.north, q)
	fast := collect(fastCh)
	slowCh, _ := e.stream(ctx, e.north2, q)
	slow := collect(slowCh)
	<-held

	var refs []string
	for i := range 5 { // 10 events: far past the window
		refs = append(refs, e.raise(paris, 2.35+float64(i)/1000))
	}
	want := raisedAndPosition(refs...)
	// The fast console is not held up by the slow one.
	if got := refTypes(t, "fast", fast.waitFor(t, "fast", len(want))); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fast console got %v, want %v", got, want)
	}
	if k := len(slow.list()); k != 0 {
		t.Fatalf("the held console read %d events", k)
	}
	close(release)
	if got := refTypes(t, "slow", slow.waitFor(t, "slow", len(want))); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("slow console replayed %v, want %v", got, want)
	}
	if e.web.live.replays.Load() == 0 {
		t.Fatal("the slow console never went to replay mode")
	}
	// Back on the feed: it stays live.
	more := e.raise(paris, 2.36)
	want = append(want, raisedAndPosition(more)...)
	for _, c := range []struct {
		name string
		c    *collector
	}{{"fast", fast}, {"slow", slow}} {
		if got := refTypes(t, c.name, c.c.waitFor(t, c.name, len(want))); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s console got %v, want %v", c.name, got, want)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if k := len(slow.list()); k != len(want) {
		t.Fatalf("slow console: %d events, want %d", k, len(want))
	}
}

// TestDispatchFeedReplayHandover: a console reconnecting with a
// Last-Event-ID older than the window, while alerts keep coming, replays
// then changes over to the feed without gap or duplicate: it ends with
// exactly what a console that never left got.
func TestDispatchFeedReplayHandover(t *testing.T) {
	e := newDispatchEnv(t)
	e.web.live.tune(2, nil)
	start := e.hub.Head()
	q := "?after=" + strconv.FormatInt(start, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stayCh, _ := e.stream(ctx, e.north, q)
	stay := collect(stayCh)
	var refs []string
	for i := range 4 {
		refs = append(refs, e.raise(paris, 2.35+float64(i)/1000))
	}
	stay.waitFor(t, "staying", 8)

	// Alerts keep coming while the other console reconnects from the start.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() {
		for i := range 6 {
			r := e.raise(paris, 2.34+float64(i)/1000)
			mu.Lock()
			refs = append(refs, r)
			mu.Unlock()
			if i == 1 {
				e.raise(lyonLat, lyonLon) // another area's, in between
			}
		}
	})
	backCh, _ := e.stream(ctx, e.north2, "", "Last-Event-ID", strconv.FormatInt(start, 10))
	back := collect(backCh)
	wg.Wait()
	mu.Lock()
	want := raisedAndPosition(refs...)
	mu.Unlock()
	gotStay := refTypes(t, "staying", stay.waitFor(t, "staying", len(want)))
	gotBack := refTypes(t, "back", back.waitFor(t, "back", len(want)))
	if fmt.Sprint(gotStay) != fmt.Sprint(want) {
		t.Fatalf("staying console got %v, want %v", gotStay, want)
	}
	if fmt.Sprint(gotBack) != fmt.Sprint(want) {
		t.Fatalf("reconnected console got %v, want %v", gotBack, want)
	}
	if e.web.live.replays.Load() == 0 {
		t.Fatal("the reconnected console did not replay: the test proves nothing")
	}
	time.Sleep(200 * time.Millisecond)
	if k := len(back.list()); k != len(want) {
		t.Fatalf("reconnected console: %d events, want %d", k, len(want))
	}
}

// TestDispatchFeedJoinLeave: consoles come and go while alerts are
// broadcast; each reconnects with the Last-Event-ID it last read and ends
// with the whole sequence, once, in order; so does a console that stayed.
// Run with -race.
func TestDispatchFeedJoinLeave(t *testing.T) {
	e := newDispatchEnv(t)
	e.web.live.tune(3, nil)
	start := e.hub.Head()
	q := "?after=" + strconv.FormatInt(start, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stayCh, _ := e.stream(ctx, e.north, q)
	stay := collect(stayCh)

	const alerts = 12
	var refs []string
	raising := make(chan struct{})
	go func() {
		defer close(raising)
		for i := range alerts {
			refs = append(refs, e.raise(paris, 2.34+float64(i)/1000))
		}
	}()
	type hopper struct {
		name string
		got  []sseEvent
	}
	hoppers := make([]*hopper, 4)
	var wg sync.WaitGroup
	for h := range hoppers {
		hp := &hopper{name: fmt.Sprintf("hopper %d", h)}
		hoppers[h] = hp
		wg.Go(func() {
			last := strconv.FormatInt(start, 10)
			for round := 0; ; round++ {
				done := false
				select {
				case <-raising:
					done = true
				default:
				}
				cctx, ccancel := context.WithCancel(ctx)
				ch, _ := e.stream(cctx, e.north2, "", "Last-Event-ID", last)
				// Read a few events (or for a while), then drop the connection.
				deadline := time.After(time.Duration(20+10*h) * time.Millisecond)
				if done {
					deadline = time.After(2 * time.Second)
				}
			read:
				for k := 0; k < 3+h || done; k++ {
					select {
					case ev, ok := <-ch:
						if !ok {
							break read
						}
						hp.got = append(hp.got, ev)
						last = ev.id
					case <-deadline:
						break read
					}
				}
				ccancel()
				for range ch {
				}
				if done {
					return
				}
			}
		})
	}
	wg.Wait()
	want := raisedAndPosition(refs...)
	if got := refTypes(t, "staying", stay.waitFor(t, "staying", len(want))); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("staying console got %v, want %v", got, want)
	}
	for _, hp := range hoppers {
		if got := refTypes(t, hp.name, hp.got); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s got %v, want %v", hp.name, got, want)
		}
	}
	cancel()
	<-stay.done
	feedStopped(t, e.web)
}
