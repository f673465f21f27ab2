package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/hub"
)

// HubStore is a store that feeds the event hub: it publishes the outbox
// records of each committed transaction and reads them back.
type HubStore interface {
	Store
	hub.Source
	SetPublisher(p func(...hub.Record))
}

// RunHub runs the contract suite of the event hub's side of a store:
// records are published after commit only, match the table, and the
// table's IDs are in commit order even under concurrent writers. open is
// as for Run.
func RunHub(t *testing.T, open func(t *testing.T) HubStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture, s HubStore)
	}{
		{"PublishedAfterCommit", testHubPublish},
		{"CommitOrder", testHubCommitOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.fn(t, newFixture(t, s), s)
		})
	}
}

// published gathers what a store publishes.
type published struct {
	mu   sync.Mutex
	recs []hub.Record
}

func (p *published) add(recs ...hub.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recs = append(p.recs, recs...)
}

func (p *published) all() []hub.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hub.Record(nil), p.recs...)
}

func testHubPublish(t *testing.T, f *fixture, s HubStore) {
	ctx := f.ctx()
	head, err := s.OutboxHead(ctx)
	ok(t, err)
	same(t, "head of an empty outbox", head, int64(0))
	var p published
	s.SetPublisher(p.add)

	sl := f.newSlot(f.now.Add(time.Hour), 1)
	sub := f.submitted(sl.ID)
	got := p.all()
	if len(got) != len(sub.Events) {
		t.Fatalf("published %d records for %d events", len(got), len(sub.Events))
	}
	table, err := s.OutboxSince(ctx, 0, 10)
	ok(t, err)
	same(t, "published records", got, table)
	for i, r := range got {
		e := sub.Events[i]
		if r.EventID != e.ID || r.CaseID != sub.Case.ID || r.Kind != caseref.PreComplaint || r.Type != e.Type || r.ID <= 0 {
			t.Errorf("record %d = %+v, want event %s of case %s", i, r, e.ID, sub.Case.ID)
		}
		if i > 0 && r.ID <= got[i-1].ID {
			t.Errorf("record IDs not increasing: %d after %d", r.ID, got[i-1].ID)
		}
	}
	head, err = s.OutboxHead(ctx)
	ok(t, err)
	same(t, "head", head, got[len(got)-1].ID)
	after, err := s.OutboxSince(ctx, got[0].ID, 10)
	ok(t, err)
	same(t, "records after the first", after, got[1:])

	// A transaction that fails publishes nothing: the slot is full now.
	is(t, s.SubmitCase(ctx, f.submission(f.newDraft(f.now.Add(time.Hour)).ID, sl.ID)), guichet.ErrConflict)
	same(t, "records after a failed submission", len(p.all()), len(got))
	// An event on an erased case is refused and publishes nothing either.
	_, err = s.EraseCase(ctx, sub.Case.ID, casefile.StatusExpired, f.now.Add(31*24*time.Hour), []casefile.Event{
		f.event(sub.Case.ID, casefile.EventErased, f.now.Add(31*24*time.Hour), nil)})
	ok(t, err)
	is(t, s.CancelAppointment(ctx, sub.Case.ID, []casefile.Event{f.event(sub.Case.ID, casefile.EventAppointmentCancelled, f.now, nil)}), guichet.ErrConflict)
	if n := len(p.all()); n != len(got)+1 {
		t.Errorf("published %d records, want %d (the erasure's only)", n, len(got)+1)
	}
	empty, err := s.OutboxSince(ctx, head+100, 10)
	ok(t, err)
	if empty == nil || len(empty) != 0 {
		t.Errorf("records after the head = %#v, want an empty list", empty)
	}
}

// testHubCommitOrder has writers commit concurrently while a reader follows
// the table by ID, as the hub does: the reader must see every record, so a
// record never becomes visible below a position already read past.
func testHubCommitOrder(t *testing.T, f *fixture, s HubStore) {
	ctx, cancel := context.WithCancel(f.ctx())
	defer cancel()
	var p published
	s.SetPublisher(p.add)
	// The reader follows the table until it reaches the head it is given
	// once the writers are done.
	var seen []hub.Record
	readerDone := make(chan error, 1)
	final := make(chan int64, 1)
	go func() {
		var cursor int64
		until := int64(-1)
		deadline := time.Now().Add(time.Minute)
		for until < 0 || cursor < until {
			recs, err := s.OutboxSince(ctx, cursor, 100)
			if err != nil {
				readerDone <- err
				return
			}
			for _, r := range recs {
				seen = append(seen, r)
				cursor = r.ID
			}
			select {
			case until = <-final:
			default:
			}
			if len(recs) == 0 {
				if time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		readerDone <- nil
	}()
	f.defaultUnit() // created once, before the writers share it
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 15 {
				sub := f.submission("", "")
				sub.Events = append(sub.Events, f.event(sub.Case.ID, casefile.EventAppointmentCancelled, f.now, nil))
				ok(t, s.SubmitCase(ctx, sub))
			}
		})
	}
	wg.Wait()
	head, err := s.OutboxHead(ctx)
	ok(t, err)
	final <- head
	ok(t, <-readerDone)
	all, err := s.OutboxSince(ctx, 0, 1000)
	ok(t, err)
	if len(all) != 8*15*2 {
		t.Fatalf("table holds %d records, want %d", len(all), 8*15*2)
	}
	if len(seen) != len(all) {
		t.Errorf("a reader following the table by ID saw %d of %d records: some became visible below its position", len(seen), len(all))
	}
	if pub := p.all(); len(pub) != len(all) {
		t.Errorf("published %d records, want %d", len(pub), len(all))
	}
}

// NodeStore is a store shared by several nodes, which hear each other's
// commits.
type NodeStore interface {
	HubStore
	// Listen calls wake with the outbox ID each commit of any node
	// announces, and wake(0) after (re)connecting, until ctx ends.
	Listen(ctx context.Context, wake func(id int64)) error
}

// RunHubNodes checks the fan-out of committed events across nodes: open
// returns two stores on the same database, as two nodes would hold.
func RunHubNodes(t *testing.T, open func(t *testing.T) (a, b NodeStore)) {
	a, b := open(t)
	f := newFixture(t, a)
	ctx := f.ctx()
	hubOf := func(s NodeStore) *hub.Hub {
		// No poll: only notifications may bring another node's events.
		h := hub.New(s, hub.Config{Poll: time.Hour})
		ok(t, h.Start(ctx))
		s.SetPublisher(h.Publish)
		go func() { _ = h.Run(ctx) }()
		return h
	}
	ha, hb := hubOf(a), hubOf(b)
	listen := func(s NodeStore, h *hub.Hub) context.CancelFunc {
		lctx, cancel := context.WithCancel(ctx)
		ready := make(chan struct{})
		var once sync.Once
		go func() {
			_ = s.Listen(lctx, func(id int64) {
				if id == 0 {
					once.Do(func() { close(ready) })
				}
				h.Wake(id)
			})
		}()
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatal("listener never connected")
		}
		return cancel
	}
	listen(a, ha)
	stopB := listen(b, hb)
	onB := hb.Subscribe(ctx, nil, 0)
	onA := ha.Subscribe(ctx, func(r hub.Record) bool { return r.Type == casefile.EventSubmitted }, 0)

	receive := func(ch <-chan hub.Record, want []casefile.Event, where string) {
		t.Helper()
		for i, e := range want {
			select {
			case r := <-ch:
				if r.EventID != e.ID {
					t.Fatalf("%s: record %d is event %s, want %s", where, i, r.EventID, e.ID)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: event %d (%s) never arrived", where, i, e.Type)
			}
		}
	}
	var first []casefile.Event
	var submitted []casefile.Event
	for range 3 {
		sub := f.submitted("")
		first = append(first, sub.Events...)
		submitted = append(submitted, sub.Events[0])
	}
	receive(onB, first, "node B")
	receive(onA, submitted, "node A (filtered)")

	// Node B loses its connection: what A commits meanwhile reaches B
	// when it is back, from the table.
	stopB()
	var missed []casefile.Event
	for range 2 {
		missed = append(missed, f.submitted("").Events...)
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case r := <-onB:
		t.Fatalf("node B got record %d without a listener or a poll", r.ID)
	default:
	}
	listen(b, hb)
	receive(onB, missed, "node B after reconnecting")
}
