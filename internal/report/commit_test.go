package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// batchRecorder is a BatchStore that records each SubmitReports call,
// files each entry under its case ID, and fails any batch holding an
// entry whose ID is in bad. While hold is open, the first call waits.
type batchRecorder struct {
	BatchStore
	mu      sync.Mutex
	calls   [][]string
	bad     map[string]bool
	hold    chan struct{}
	entered chan struct{}
}

func (r *batchRecorder) SubmitReports(ctx context.Context, b Batch) ([]BatchFiled, error) {
	var ids []string
	for _, e := range b.Entries {
		ids = append(ids, e.Sub.Case.ID)
	}
	r.mu.Lock()
	r.calls = append(r.calls, ids)
	first := len(r.calls) == 1
	r.mu.Unlock()
	if first && r.hold != nil {
		close(r.entered)
		<-r.hold
	}
	out := make([]BatchFiled, len(ids))
	for i, id := range ids {
		if r.bad[id] {
			return nil, fmt.Errorf("entry %s: %w", id, guichet.ErrInvalid)
		}
		out[i] = BatchFiled{CaseID: id, Ref: "SG-" + id, Count: 1}
	}
	return out, nil
}

func entries(ids ...string) []BatchEntry {
	var out []BatchEntry
	for _, id := range ids {
		out = append(out, BatchEntry{Sub: Submission{Case: casefile.Case{ID: id}}})
	}
	return out
}

// Filings that arrive while one is written are written together next, each
// answered with its own entries; one whose batch fails is written again
// alone, so a bad filing fails alone.
func TestCommitterGroups(t *testing.T) {
	rec := &batchRecorder{hold: make(chan struct{}), entered: make(chan struct{}), bad: map[string]bool{"bad": true}}
	c := &committer{store: rec}
	type answer struct {
		filed []BatchFiled
		err   error
	}
	got := map[string]answer{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	file := func(name string, ids ...string) {
		wg.Go(func() {
			filed, err := c.submit(t.Context(), entries(ids...))
			mu.Lock()
			got[name] = answer{filed, err}
			mu.Unlock()
		})
	}
	file("first", "a")
	<-rec.entered // "a" is being written: the next ones queue
	file("pair", "b", "c")
	file("bad", "d", "bad")
	file("last", "e")
	waitQueued(t, c, 3)
	close(rec.hold)
	wg.Wait()

	if len(rec.calls) < 2 || !slices.Equal(rec.calls[0], []string{"a"}) {
		t.Fatalf("calls %v: want [a] first", rec.calls)
	}
	group := rec.calls[1]
	slices.Sort(group)
	if !slices.Equal(group, []string{"b", "bad", "c", "d", "e"}) {
		t.Errorf("second call wrote %v, want the three queued filings together", rec.calls[1])
	}
	// The group failed (bad): each filing again alone.
	if len(rec.calls) != 5 {
		t.Errorf("calls %v: want [a], the group, then each of its 3 filings alone", rec.calls)
	}
	for name, want := range map[string][]string{"first": {"a"}, "pair": {"b", "c"}, "last": {"e"}} {
		a := got[name]
		if a.err != nil {
			t.Errorf("%s: %v", name, a.err)
			continue
		}
		var refs []string
		for _, f := range a.filed {
			refs = append(refs, f.CaseID)
		}
		if !slices.Equal(refs, want) {
			t.Errorf("%s answered %v, want %v", name, refs, want)
		}
	}
	if !errors.Is(got["bad"].err, guichet.ErrInvalid) {
		t.Errorf("bad filing: %v, want its own ErrInvalid", got["bad"].err)
	}
}

// A filing whose caller leaves before a batch takes it is not written.
func TestCommitterLeaveBeforeWritten(t *testing.T) {
	rec := &batchRecorder{hold: make(chan struct{}), entered: make(chan struct{})}
	c := &committer{store: rec}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := c.submit(t.Context(), entries("a")); err != nil {
			t.Error(err)
		}
	})
	<-rec.entered
	ctx, cancel := context.WithCancel(t.Context())
	left := make(chan error, 1)
	go func() { _, err := c.submit(ctx, entries("gone")); left <- err }()
	waitQueued(t, c, 1)
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("left: %v, want context.Canceled", err)
	}
	close(rec.hold)
	wg.Wait()
	// The committer stops once idle; a later filing starts it again.
	if _, err := c.submit(t.Context(), entries("later")); err != nil {
		t.Fatal(err)
	}
	for _, call := range rec.calls {
		if slices.Contains(call, "gone") {
			t.Errorf("calls %v: the filing whose caller left was written", rec.calls)
		}
	}
}

// waitQueued waits until n filings are queued.
func waitQueued(t *testing.T, c *committer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		q := len(c.queue)
		c.mu.Unlock()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d filings queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}
