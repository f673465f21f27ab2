package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

func testOutbox(t *testing.T, f *fixture) {
	ctx := f.ctx()
	count := func(t *testing.T) int64 {
		t.Helper()
		n, err := f.s.SequencedCount(ctx)
		ok(t, err)
		return n
	}
	same(t, "sequenced on an empty store", count(t), 0)
	same(t, "pending on an empty store", f.pending(), []casefile.OutboxEntry{})

	sl := f.newSlot(f.now.Add(24*time.Hour), 5)
	a := f.submitted(sl.ID) // two events
	b := f.submitted("")    // one event
	c := f.submitted(sl.ID) // two events
	events := slices.Concat(a.Events, b.Events, c.Events)
	all := f.pending()
	if len(all) != 5 {
		t.Fatalf("pending = %d entries, want 5", len(all))
	}
	for i, e := range all {
		same(t, "entry's event, in commit order", e.EventID, events[i].ID)
		same(t, "LogIndex of a pending entry", e.LogIndex, int64(-1))
		if i > 0 && e.ID <= all[i-1].ID {
			t.Errorf("entry %d follows entry %d", e.ID, all[i-1].ID)
		}
	}
	first3, err := f.s.PendingOutbox(ctx, 3)
	ok(t, err)
	same(t, "PendingOutbox(3)", first3, all[:3])
	_, err = f.s.PendingOutbox(ctx, 0)
	is(t, err, guichet.ErrInvalid)

	ids := func(es ...casefile.OutboxEntry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	logIndex := func(eventID string) (int64, error) { return f.s.EventLogIndex(ctx, eventID) }

	_, err = logIndex(events[0].ID)
	is(t, err, guichet.ErrNotFound) // not yet sequenced
	ok(t, f.s.MarkSequenced(ctx, nil, 0))
	ok(t, f.s.MarkSequenced(ctx, ids(all[0], all[1]), 0))
	same(t, "sequenced", count(t), 2)
	same(t, "pending after sequencing two", f.pending(), all[2:])
	for i, ev := range events[:2] {
		n, err := logIndex(ev.ID)
		ok(t, err)
		same(t, "EventLogIndex", n, int64(i))
	}

	// Refusals mark nothing.
	refused := []struct {
		name  string
		ids   []int64
		first int64
		kind  error
	}{
		{"an entry already sequenced", ids(all[2], all[0]), 2, guichet.ErrConflict},
		{"an index already taken", ids(all[2], all[3]), 1, guichet.ErrConflict},
		{"an unknown entry", append(ids(all[2]), all[4].ID+1000), 2, guichet.ErrConflict},
		{"a repeated entry", ids(all[2], all[2]), 2, guichet.ErrInvalid},
		{"a negative index", ids(all[2]), -1, guichet.ErrInvalid},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.MarkSequenced(ctx, tt.ids, tt.first), tt.kind)
			same(t, "sequenced", count(t), 2)
			same(t, "pending", f.pending(), all[2:])
			_, err := logIndex(events[2].ID)
			is(t, err, guichet.ErrNotFound)
		})
	}

	ok(t, f.s.MarkSequenced(ctx, ids(all[2:]...), 2))
	same(t, "sequenced", count(t), 5)
	same(t, "pending", f.pending(), []casefile.OutboxEntry{})
	for i, ev := range events {
		n, err := logIndex(ev.ID)
		ok(t, err)
		same(t, "EventLogIndex", n, int64(i))
	}
	_, err = logIndex(f.ids.New())
	is(t, err, guichet.ErrNotFound)

	// New entries come after the sequenced ones.
	d := f.submitted("")
	p := f.pending()
	if len(p) != 1 || p[0].EventID != d.Events[0].ID || p[0].ID <= all[4].ID {
		t.Errorf("pending after a new case = %+v", p)
	}
}
