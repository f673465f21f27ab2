package hub_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/hub"
)

// table is an outbox in memory: commit appends records with the next IDs,
// some of which may be skipped (a rolled-back transaction's IDs).
type table struct {
	mu    sync.Mutex
	recs  []hub.Record
	next  int64
	reads int
}

func (t *table) commit(n int, skip bool) []hub.Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	if skip {
		t.next++ // an ID allocated by a transaction that rolled back
	}
	out := make([]hub.Record, n)
	for i := range out {
		t.next++
		out[i] = hub.Record{ID: t.next, Type: "submitted"}
	}
	t.recs = append(t.recs, out...)
	return out
}

func (t *table) OutboxSince(_ context.Context, after int64, limit int) ([]hub.Record, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads++
	var out []hub.Record
	for _, r := range t.recs {
		if r.ID > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (t *table) OutboxHead(context.Context) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recs) == 0 {
		return 0, nil
	}
	return t.recs[len(t.recs)-1].ID, nil
}

func (t *table) readCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads
}

func (t *table) all() []hub.Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]hub.Record(nil), t.recs...)
}

func start(t *testing.T, src *table, cfg hub.Config) *hub.Hub {
	t.Helper()
	h := hub.New(src, cfg)
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// expect reads want's records from ch, in order, within a few seconds.
func expect(t *testing.T, ch <-chan hub.Record, want []hub.Record) {
	t.Helper()
	for i, w := range want {
		select {
		case r := <-ch:
			if r.ID != w.ID {
				t.Fatalf("record %d: got ID %d, want %d", i, r.ID, w.ID)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("record %d (ID %d) never came", i, w.ID)
		}
	}
	select {
	case r := <-ch:
		t.Fatalf("unexpected record %d after the last one", r.ID)
	case <-time.After(30 * time.Millisecond):
	}
}

func TestLiveInOrder(t *testing.T) {
	src := &table{}
	old := src.commit(3, false) // before the hub started
	h := start(t, src, hub.Config{Poll: time.Hour})
	all := h.Subscribe(t.Context(), nil, 0)
	live := h.Subscribe(t.Context(), nil, h.Head())
	var fresh []hub.Record
	for range 5 {
		recs := src.commit(2, false)
		h.Publish(recs...)
		fresh = append(fresh, recs...)
	}
	expect(t, live, fresh)
	expect(t, all, append(old, fresh...)) // the first three from the table
}

func TestFilter(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: time.Hour})
	odd := h.Subscribe(t.Context(), func(r hub.Record) bool { return r.ID%2 == 1 }, 0)
	recs := src.commit(6, false)
	h.Publish(recs...)
	expect(t, odd, []hub.Record{recs[0], recs[2], recs[4]})
}

func TestGapsClose(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: time.Hour, GapWait: 5 * time.Millisecond})
	sub := h.Subscribe(t.Context(), nil, 0)
	a := src.commit(1, false)
	b := src.commit(1, false)
	h.Publish(b...) // the later commit is published first
	h.Publish(a...)
	c := src.commit(1, true) // a rolled-back transaction left an ID unused
	h.Publish(c...)
	expect(t, sub, []hub.Record{a[0], b[0], c[0]})
}

func TestWakeReadsOtherNodesCommits(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: time.Hour})
	sub := h.Subscribe(t.Context(), nil, 0)
	recs := src.commit(3, false) // committed by another node: never published here
	h.Wake(recs[2].ID)
	expect(t, sub, recs)
	more := src.commit(2, false)
	h.Wake(0) // a reconnected listener does not know what it missed
	expect(t, sub, more)
}

func TestPollFindsMissedNotifications(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: 10 * time.Millisecond})
	sub := h.Subscribe(t.Context(), nil, 0)
	recs := src.commit(4, false)
	expect(t, sub, recs)
}

func TestSlowSubscriberCatchesUpFromTheTable(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: time.Hour, Window: 8, Batch: 4})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	slow := h.Subscribe(ctx, nil, 0)
	var want []hub.Record
	for range 50 { // far more than the window: writers never wait for it
		recs := src.commit(3, rand.N(4) == 0)
		h.Publish(recs...)
		want = append(want, recs...)
	}
	before := src.readCount()
	expect(t, slow, want)
	if src.readCount() == before {
		t.Error("the slow subscriber did not read the table")
	}
}

// TestConcurrentWritersManySubscribers runs writers that commit in order
// but publish in any order, with subscribers joining at random positions:
// each receives exactly the records after its position, in order.
func TestConcurrentWritersManySubscribers(t *testing.T) {
	src := &table{}
	h := start(t, src, hub.Config{Poll: 50 * time.Millisecond, GapWait: time.Millisecond, Window: 64})
	type sub struct {
		after int64
		ch    <-chan hub.Record
	}
	var (
		subsMu sync.Mutex
		subs   []sub
		commit sync.Mutex // the store's commit order
		wg     sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				commit.Lock()
				recs := src.commit(1+rand.N(3), rand.N(10) == 0)
				commit.Unlock()
				if rand.N(3) == 0 {
					time.Sleep(time.Duration(rand.N(200)) * time.Microsecond)
				}
				h.Publish(recs...)
				if w == 0 && i%25 == 0 {
					after := h.Head() - int64(rand.N(20))
					subsMu.Lock()
					subs = append(subs, sub{after, h.Subscribe(t.Context(), nil, after)})
					subsMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	all := src.all()
	for _, s := range subs {
		var want []hub.Record
		for _, r := range all {
			if r.ID > s.after {
				want = append(want, r)
			}
		}
		expect(t, s.ch, want)
	}
}
