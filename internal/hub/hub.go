// Package hub delivers committed case events to the parts that react to
// them — the transparency log's sequencer, the notifier, live consoles — in
// commit order, none lost and none twice.
//
// Stores publish the outbox records a transaction wrote once it has
// committed; subscribers read them from a window kept in memory, and a
// subscriber that falls behind the window (or starts from an old position)
// catches up from the outbox table itself, then goes live again. A slow
// subscriber never holds up a writer: publishing only appends to the window.
//
// Across nodes the window is filled from the outbox table when another
// node says it committed (Wake, from PostgreSQL's LISTEN/NOTIFY), and at
// a regular poll in case a notification was missed.
package hub

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/caseref"
)

// Record is one committed case event as the hub carries it. It holds no
// personal data: identifiers and the event type only.
type Record struct {
	// ID is the event's outbox ID. IDs increase in commit order: once a
	// record is visible, every record with a lower ID is visible too or
	// will never exist.
	ID      int64
	EventID string
	CaseID  string
	Kind    caseref.Kind
	Type    string
}

// Source reads committed records back from the outbox table.
type Source interface {
	// OutboxSince returns up to limit committed records with ID > after,
	// in ID order.
	OutboxSince(ctx context.Context, after int64, limit int) ([]Record, error)
	// OutboxHead returns the greatest committed outbox ID (0 when none).
	OutboxHead(ctx context.Context) (int64, error)
}

// Filter selects the records a subscriber receives; nil takes them all.
type Filter func(Record) bool

// Config tunes a Hub; zero fields take the defaults.
type Config struct {
	// Window is how many recent records are kept in memory (4096).
	Window int
	// GapWait is how long records published out of order wait for the
	// missing ones before the outbox table is read (20 ms). Stores whose
	// transactions commit concurrently publish a little out of order.
	GapWait time.Duration
	// Poll is how often the outbox table is read anyway, for records whose
	// notification was missed (2 s).
	Poll time.Duration
	// Batch is how many records one read of the outbox table takes (512).
	Batch  int
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = 4096
	}
	if c.GapWait <= 0 {
		c.GapWait = 20 * time.Millisecond
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 512
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Hub is the in-process event hub. It is safe for concurrent use.
type Hub struct {
	cfg Config
	src Source

	mu sync.Mutex
	// window holds records in ID order: every committed record with an
	// ID in (base, head], none missing.
	window []Record
	base   int64
	head   int64
	// pending holds records published above a gap, by ID.
	pending map[int64]Record
	// changed is closed, and replaced, whenever head advances.
	changed chan struct{}

	fill chan struct{} // asks Run to read the outbox table
}

// New returns a hub reading back from src; call Start before publishing.
func New(src Source, cfg Config) *Hub {
	return &Hub{
		cfg: cfg.withDefaults(), src: src,
		pending: make(map[int64]Record),
		changed: make(chan struct{}),
		fill:    make(chan struct{}, 1),
	}
}

// Start sets the hub's position to the outbox's current head: records
// committed before are read from the table by subscribers that ask for them.
func (h *Hub) Start(ctx context.Context) error {
	head, err := h.src.OutboxHead(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if head > h.head {
		h.base, h.head = head, head
		h.window = h.window[:0]
	}
	return nil
}

// Head returns the greatest ID the hub has delivered to its window.
func (h *Hub) Head() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head
}

// Publish hands the hub records a transaction wrote. It MUST be called
// only after that transaction committed. It never blocks on subscribers.
func (h *Hub) Publish(recs ...Record) {
	if len(recs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	advanced := false
	for _, r := range recs {
		switch {
		case r.ID <= h.head:
			// Read from the table already.
		case r.ID == h.head+1:
			h.appendLocked(r)
			advanced = true
		default:
			h.pending[r.ID] = r
		}
	}
	for {
		r, ok := h.pending[h.head+1]
		if !ok {
			break
		}
		delete(h.pending, r.ID)
		h.appendLocked(r)
		advanced = true
	}
	if advanced {
		h.broadcastLocked()
	}
	if len(h.pending) > 0 {
		h.askFill()
	}
}

// Wake tells the hub that records up to id were committed elsewhere (by
// another node); id ≤ 0 means "something may have been missed".
func (h *Hub) Wake(id int64) {
	if id > 0 && id <= h.Head() {
		return
	}
	h.askFill()
}

func (h *Hub) askFill() {
	select {
	case h.fill <- struct{}{}:
	default:
	}
}

func (h *Hub) appendLocked(r Record) {
	h.window = append(h.window, r)
	h.head = r.ID
	if len(h.window) > 2*h.cfg.Window {
		drop := len(h.window) - h.cfg.Window
		h.base = h.window[drop-1].ID
		h.window = append(h.window[:0:0], h.window[drop:]...)
	}
}

func (h *Hub) broadcastLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Run fills the window from the outbox table when asked (a gap, another
// node's commit) and at every poll, until ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	poll := time.NewTicker(h.cfg.Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-poll.C:
		case <-h.fill:
			// A gap may close by itself: give late publishers a moment.
			if h.gapped() {
				select {
				case <-time.After(h.cfg.GapWait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		if err := h.fillFromSource(ctx); err != nil && ctx.Err() == nil {
			h.cfg.Logger.WarnContext(ctx, "event hub: outbox read failed", "err", err)
		}
	}
}

func (h *Hub) gapped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pending) > 0
}

// fillFromSource appends to the window every committed record after head.
func (h *Hub) fillFromSource(ctx context.Context) error {
	for {
		after := h.Head()
		recs, err := h.src.OutboxSince(ctx, after, h.cfg.Batch)
		if err != nil {
			return err
		}
		h.mu.Lock()
		advanced := false
		for _, r := range recs {
			if r.ID > h.head {
				h.appendLocked(r)
				advanced = true
			}
		}
		for id := range h.pending {
			if id <= h.head {
				delete(h.pending, id)
			}
		}
		for {
			r, ok := h.pending[h.head+1]
			if !ok {
				break
			}
			delete(h.pending, r.ID)
			h.appendLocked(r)
			advanced = true
		}
		if advanced {
			h.broadcastLocked()
		}
		h.mu.Unlock()
		if len(recs) < h.cfg.Batch {
			return nil
		}
	}
}

// read returns up to limit records after cursor from the window; behind is
// true when the window no longer holds what follows cursor. With nothing
// to read, wait is closed when the window changes.
func (h *Hub) read(cursor int64, limit int) (recs []Record, behind bool, wait <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cursor < h.base {
		return nil, true, nil
	}
	i := sort.Search(len(h.window), func(i int) bool { return h.window[i].ID > cursor })
	if i == len(h.window) {
		return nil, false, h.changed
	}
	end := min(len(h.window), i+limit)
	return append([]Record(nil), h.window[i:end]...), false, nil
}

// Subscribe delivers, on the returned channel, every committed record with
// ID > after that f accepts, in ID order, each once, until ctx ends (the
// channel is then closed). A receiver that does not keep up only delays
// itself: it catches up from the outbox table.
func (h *Hub) Subscribe(ctx context.Context, f Filter, after int64) <-chan Record {
	out := make(chan Record, 64)
	go func() {
		defer close(out)
		cursor := after
		backoff := 10 * time.Millisecond
		for {
			recs, behind, wait := h.read(cursor, h.cfg.Batch)
			if behind {
				var err error
				if recs, err = h.src.OutboxSince(ctx, cursor, h.cfg.Batch); err != nil {
					if ctx.Err() != nil {
						return
					}
					h.cfg.Logger.WarnContext(ctx, "event hub: catch-up read failed", "err", err)
					select {
					case <-time.After(backoff):
					case <-ctx.Done():
						return
					}
					backoff = min(2*backoff, 2*time.Second)
					continue
				}
				backoff = 10 * time.Millisecond
				if len(recs) == 0 {
					// The table has nothing newer than cursor yet the
					// window starts after it: the window's records are next.
					h.mu.Lock()
					if cursor < h.base {
						cursor = h.base
					}
					h.mu.Unlock()
					continue
				}
			}
			if len(recs) == 0 {
				select {
				case <-wait:
				case <-ctx.Done():
					return
				}
				continue
			}
			for _, r := range recs {
				cursor = r.ID
				if f != nil && !f(r) {
					continue
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
