package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

// memElector is an Elector in memory standing for PostgreSQL's advisory
// lock: one lease at a time; cut drops the holder's lease as a server
// would drop a session, without telling the holder (its Check fails from
// then on, and only then is Lost closed).
type memElector struct {
	mu     sync.Mutex
	held   *memLease
	grants int
	// anarchy hands out leases to everyone (a broken lock), to check that
	// the log still never forks.
	anarchy bool
}

type memLease struct {
	e        *memElector
	mu       sync.Mutex
	cut      bool
	lost     chan struct{}
	released bool
}

func (e *memElector) Acquire(ctx context.Context) (Lease, error) {
	for {
		e.mu.Lock()
		if e.held == nil || e.anarchy {
			l := &memLease{e: e, lost: make(chan struct{})}
			e.held = l
			e.grants++
			e.mu.Unlock()
			return l, nil
		}
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// cut drops the current lease server-side.
func (e *memElector) cut() *memLease {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.held
	e.held = nil
	if l != nil {
		l.mu.Lock()
		l.cut = true
		l.mu.Unlock()
	}
	return l
}

func (l *memLease) Check(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cut || l.released {
		if !l.released {
			l.released = true
			close(l.lost)
		}
		return errors.New("session terminated")
	}
	return nil
}

func (l *memLease) Lost() <-chan struct{} { return l.lost }

func (l *memLease) Release() error {
	l.e.mu.Lock()
	if l.e.held == l {
		l.e.held = nil
	}
	l.e.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.released {
		l.released = true
		close(l.lost)
	}
	return nil
}

// openNode opens one node of a log shared through the directory store
// shared and the outbox ob, electing with e.
func openNode(t *testing.T, shared, skey string, ob Outbox, e Elector) *Log {
	t.Helper()
	st, err := NewDirStore(shared)
	if err != nil {
		t.Fatal(err)
	}
	return openTest(t, t.TempDir(), skey, ob, func(c *Config) {
		c.Store, c.Elector, c.WriteWindow, c.Interval, c.Gather = st, e, 250*time.Millisecond, 5*time.Millisecond, -1
	})
}

// waitSequenced waits until every row of ob is sequenced.
func waitSequenced(t *testing.T, ob *memOutbox) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		rows, _ := ob.PendingOutbox(context.Background(), 1)
		if len(rows) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("outbox not drained within 10 s")
		}
	}
}

// TestElectedFailover runs two nodes on one store and one outbox: the
// elected one appends; when its lease is cut the other takes over,
// reconciles and continues; the log holds every row exactly once at the
// index the outbox recorded, and both nodes serve its latest checkpoint.
func TestElectedFailover(t *testing.T) {
	shared, skey, ob, e := t.TempDir(), testKey(t), &memOutbox{}, &memElector{}
	nodes := []*Log{openNode(t, shared, skey, ob, e), openNode(t, shared, skey, ob, e)}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Go(func() { errs[i] = n.Run(ctx) })
	}
	defer func() {
		cancel()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d: Run: %v", i, err)
			}
		}
	}()

	next := 0
	add := func(n int) {
		ob.add(testLeaves(next, n)...)
		next += n
		for _, l := range nodes {
			l.Notify()
		}
	}
	for round := range 4 {
		add(30)
		waitSequenced(t, ob)
		// Rows committed while the holder is unaware it lost its lease.
		e.cut()
		add(20)
		waitSequenced(t, ob)
		e.mu.Lock()
		grants := e.grants
		e.mu.Unlock()
		if grants != round+2 {
			t.Fatalf("round %d: %d leases granted, want %d", round, grants, round+2)
		}
	}
	want := ob.byIndex(t)
	if len(want) != next {
		t.Fatalf("%d rows sequenced of %d", len(want), next)
	}
	st, _ := NewDirStore(shared)
	raw, err := st.Get(ctx, CheckpointPath)
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := checkpoint.NewPolicy(nodes[0].VerifierKey(), nil, 0)
	v, err := pol.Open(raw)
	if err != nil || v.Size != int64(next) {
		t.Fatalf("stored checkpoint: size %d, %v; want %d", v.Size, err, next)
	}
	got, err := readEntries(ctx, st, v.Size, 0, v.Size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadBuilder(ctx, st, v.Size)
	if err != nil || b.root() != v.Hash {
		t.Fatalf("tiles do not hash to the checkpoint: %v", err)
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("entry %d is not the row the outbox recorded at %d", i, i)
		}
	}
	// Both nodes serve the latest checkpoint, the holder's own and the
	// other's read from the store, and prove against it.
	time.Sleep(2 * nodes[0].cfg.ReadTTL)
	for i, n := range nodes {
		if s := n.Size(); s != int64(next) {
			t.Errorf("node %d serves size %d, want %d", i, s, next)
		}
		if _, err := n.InclusionProof(ctx, int64(next-1), int64(next)); err != nil {
			t.Errorf("node %d: proof: %v", i, err)
		}
	}
}

// TestElectedStaleHolderStops: a sequencer whose lease was cut appends
// nothing (it notices at its next write), and one that believes it holds
// a lease while another appended (a broken lock) refuses to sign over a
// checkpoint it did not build on, before writing any tile.
func TestElectedStaleHolderStops(t *testing.T) {
	ctx := t.Context()
	shared, skey, ob, e := t.TempDir(), testKey(t), &memOutbox{}, &memElector{}
	a, b := openNode(t, shared, skey, ob, e), openNode(t, shared, skey, ob, e)
	take := func(l *Log) {
		t.Helper()
		lease, err := e.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.mu.Lock()
		l.lease = lease
		err = l.load(ctx, true)
		l.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		l.holding.Store(true)
	}
	if _, err := a.Sequence(ctx); !errors.Is(err, ErrNotSequencer) {
		t.Fatalf("Sequence without a lease: %v, want ErrNotSequencer", err)
	}
	take(a)
	ob.add(testLeaves(0, 5)...)
	drain(t, a)

	// The cut: a does not know yet; b is elected and appends.
	cutLease := e.cut()
	take(b)
	ob.add(testLeaves(5, 3)...)
	ob.add(testLeaves(8, 2)...)
	if n, err := b.Sequence(ctx); err != nil || n != 5 {
		t.Fatalf("b: %d, %v", n, err)
	}
	ob.add(testLeaves(10, 4)...)
	if n, err := a.Sequence(ctx); !errors.Is(err, ErrNotSequencer) || n != 0 {
		t.Fatalf("stale a: %d, %v; want ErrNotSequencer", n, err)
	}
	select {
	case <-cutLease.Lost():
	default:
		t.Fatal("the cut lease is not marked lost after a failed check")
	}

	// A broken lock: both hold a lease; a built on size 5, b appended.
	e.anarchy = true
	a.mu.Lock()
	a.lease, _ = e.Acquire(ctx)
	a.mu.Unlock()
	if n, err := a.Sequence(ctx); !errors.Is(err, ErrNotSequencer) || n != 0 {
		t.Fatalf("a over b's checkpoint: %d, %v; want ErrNotSequencer", n, err)
	}
	drain(t, b)
	st, _ := NewDirStore(shared)
	raw, _ := st.Get(ctx, CheckpointPath)
	pol, _ := checkpoint.NewPolicy(a.VerifierKey(), nil, 0)
	v, err := pol.Open(raw)
	if err != nil || v.Size != 14 {
		t.Fatalf("stored checkpoint size %d (%v), want 14", v.Size, err)
	}
	if bl, err := loadBuilder(ctx, st, v.Size); err != nil || bl.root() != v.Hash {
		t.Fatalf("tiles do not hash to the checkpoint: %v", err)
	}
	if got := len(ob.byIndex(t)); got != 14 {
		t.Fatalf("%d rows sequenced, want 14", got)
	}
	// a, no longer holding, serves the stored checkpoint.
	a.holding.Store(false)
	if s := a.Size(); s != 14 {
		t.Fatalf("non-holder serves size %d, want 14", s)
	}
}

// TestFileLockElector: a second process on one data directory is refused
// at Open, as before elections existed.
func TestFileLockElector(t *testing.T) {
	dir := t.TempDir()
	l1, err := FileLock(filepath.Join(dir, "x.lock")).Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FileLock(filepath.Join(dir, "x.lock")).Acquire(t.Context()); err == nil {
		t.Fatal("a second file lock was granted")
	}
	if err := l1.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := l1.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := FileLock(filepath.Join(dir, "x.lock")).Acquire(t.Context())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}
