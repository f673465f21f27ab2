package ledger

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"golang.org/x/mod/sumdb/note"
)

// memOutbox is an in-memory Outbox that checks the contract's invariants:
// MarkSequenced refuses rows already marked, unknown rows, and a first
// index other than the count of marked rows (which would mean a gap or a
// double append).
type memOutbox struct {
	mu     sync.Mutex
	rows   []casefile.OutboxEntry // in ID order
	nextID int64
	// failMark, when set, makes the next MarkSequenced fail (once).
	failMark error
	marks    int // successful MarkSequenced calls
}

var (
	_ Outbox       = (*memOutbox)(nil)
	_ EventIndexer = (*memOutbox)(nil)
)

// add commits rows with the given leaves and returns their IDs.
func (o *memOutbox) add(leaves ...[]byte) []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ids []int64
	for _, l := range leaves {
		o.nextID++
		o.rows = append(o.rows, casefile.OutboxEntry{ID: o.nextID, EventID: fmt.Sprintf("ev-%d", o.nextID), Leaf: l, LogIndex: -1})
		ids = append(ids, o.nextID)
	}
	return ids
}

// addWithID commits a row with a chosen (possibly lower) ID, as a
// PostgreSQL transaction that took its ID early and committed late would.
func (o *memOutbox) addWithID(id int64, leaf []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows = append(o.rows, casefile.OutboxEntry{ID: id, EventID: fmt.Sprintf("ev-%d", id), Leaf: leaf, LogIndex: -1})
	slices.SortFunc(o.rows, func(a, b casefile.OutboxEntry) int { return int(a.ID - b.ID) })
}

func (o *memOutbox) PendingOutbox(_ context.Context, limit int) ([]casefile.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []casefile.OutboxEntry
	for _, r := range o.rows {
		if r.LogIndex < 0 && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (o *memOutbox) MarkSequenced(_ context.Context, ids []int64, first int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.failMark; err != nil {
		o.failMark = nil
		return err
	}
	count := int64(0)
	for _, r := range o.rows {
		if r.LogIndex >= 0 {
			count++
		}
	}
	if first != count {
		return fmt.Errorf("memOutbox: first index %d with %d marked: %w", first, count, guichet.ErrConflict)
	}
	pos := map[int64]int{}
	for i, r := range o.rows {
		pos[r.ID] = i
	}
	for _, id := range ids {
		i, ok := pos[id]
		if !ok || o.rows[i].LogIndex >= 0 {
			return fmt.Errorf("memOutbox: row %d unknown or marked: %w", id, guichet.ErrConflict)
		}
	}
	for k, id := range ids {
		o.rows[pos[id]].LogIndex = first + int64(k)
	}
	o.marks++
	return nil
}

func (o *memOutbox) SequencedCount(context.Context) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var n int64
	for _, r := range o.rows {
		if r.LogIndex >= 0 {
			n++
		}
	}
	return n, nil
}

func (o *memOutbox) EventLogIndex(_ context.Context, eventID string) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		if r.EventID == eventID {
			if r.LogIndex < 0 {
				return 0, guichet.ErrNotFound
			}
			return r.LogIndex, nil
		}
	}
	return 0, guichet.ErrNotFound
}

// byIndex returns the rows' leaves in log order, failing on gaps.
func (o *memOutbox) byIndex(t *testing.T) [][]byte {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var out [][]byte
	for _, r := range o.rows {
		if r.LogIndex >= 0 {
			for int64(len(out)) <= r.LogIndex {
				out = append(out, nil)
			}
			if out[r.LogIndex] != nil {
				t.Fatalf("index %d given twice", r.LogIndex)
			}
			out[r.LogIndex] = r.Leaf
		}
	}
	for i, l := range out {
		if l == nil {
			t.Fatalf("index %d never given", i)
		}
	}
	return out
}

var testAt = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// testLeaf returns the canonical leaf of the i-th test event.
func testLeaf(i int) []byte {
	return casefile.NewLeaf([]byte("salt"), "PP-2026-7KQ3-M9TX", casefile.Event{
		ID: fmt.Sprintf("event-%d", i), Type: casefile.EventSubmitted, At: testAt.Add(time.Duration(i) * time.Second),
		Actor: "citizen", Data: map[string]string{"n": fmt.Sprint(i)},
	}).MarshalCanonical()
}

func testLeaves(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = testLeaf(from + i)
	}
	return out
}

const testOrigin = "guichet.example/log"

// testKey is generated once: key generation is cheap, but a fixed key
// across a test's reopenings matters.
func testKey(t testing.TB) string {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return skey
}

// openTest opens a log in dir with the outbox and options applied.
func openTest(t testing.TB, dir, skey string, ob Outbox, opts ...func(*Config)) *Log {
	t.Helper()
	cfg := Config{DataDir: dir, Origin: testOrigin, Key: skey, Outbox: ob, MaxBatch: 100}
	for _, o := range opts {
		o(&cfg)
	}
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// drain sequences until the outbox is empty.
func drain(t testing.TB, l *Log) {
	t.Helper()
	for {
		n, err := l.Sequence(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
