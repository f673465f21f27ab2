package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/ledger"
)

// TestElectorFailover: one lease at a time; when the holder's session is
// terminated (as a network cut or a killed node ends it) the holder's
// lease is lost and another Acquire takes the lock.
func TestElectorFailover(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	a, b := s.Elector(nil), s.Elector(nil)
	la, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := la.Check(ctx); err != nil {
		t.Fatalf("held lease: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Acquire while held: %v, want it to wait", err)
	}

	got := make(chan ledger.Lease, 1)
	go func() {
		lb, err := b.Acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- lb
	}()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND (classid::bigint << 32 | objid::bigint) = $1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, SequencerLock).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the holder's session: %d, %v", n, err)
	}
	start := time.Now()
	select {
	case <-la.Lost():
	case <-time.After(3 * time.Second):
		t.Fatal("the holder did not notice it lost the lock within 3 s")
	}
	if err := la.Check(ctx); err == nil {
		t.Fatal("Check passes on a lost lease")
	}
	var lb ledger.Lease
	select {
	case lb = <-got:
	case <-time.After(3 * time.Second):
		t.Fatal("no takeover within 3 s")
	}
	t.Logf("lost noticed and lock taken over in %v", time.Since(start))
	if err := lb.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := la.Release(); err != nil {
		t.Fatalf("release of a lost lease: %v", err)
	}
	if err := lb.Release(); err != nil {
		t.Fatal(err)
	}
	// Released: available at once.
	lc, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lc.Release()
}

// TestClaimLogInstance: the first log store claims the database; the same
// store again, or another node sharing it, is accepted; a store of its
// own is refused.
func TestClaimLogInstance(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	shared, err := ledger.NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ledger.ClaimInstance(ctx, shared, s, "shared", rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{t.TempDir(), ""} {
		other, _ := ledger.NewDirStore(t.TempDir())
		if dir != "" { // a store with an ID of its own
			if err := ledger.ClaimInstance(ctx, other, open(t), "elsewhere", rand.Reader); err != nil {
				t.Fatal(err)
			}
		}
		err := ledger.ClaimInstance(ctx, other, s, "other", rand.Reader)
		if !errors.Is(err, guichet.ErrConflict) {
			t.Fatalf("another log store claimed the database: %v", err)
		}
	}
}
