package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/postgres/pgtest"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
)

var (
	_ ledger.Outbox       = (*sqlite.Store)(nil)
	_ ledger.EventIndexer = (*sqlite.Store)(nil)
	_ ledger.Outbox       = (*postgres.Store)(nil)
	_ ledger.EventIndexer = (*postgres.Store)(nil)
)

// store is what these tests need from a real store.
type store interface {
	ledger.Outbox
	ledger.EventIndexer
	SubmitCase(ctx context.Context, s complaint.Submission) error
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)
}

// flakyOutbox fails MarkSequenced once, like a process killed between
// writing the checkpoint and committing the indexes.
type flakyOutbox struct {
	store
	fail bool
}

func (f *flakyOutbox) MarkSequenced(ctx context.Context, ids []int64, first int64) error {
	if f.fail {
		f.fail = false
		return errors.New("killed before marking")
	}
	return f.store.MarkSequenced(ctx, ids, first)
}

func submit(t testing.TB, st store, ids *uuid7.Generator, now time.Time) (casefile.Case, []byte) {
	t.Helper()
	ref, err := caseref.New(caseref.PreComplaint, 2026, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	c := casefile.Case{ID: ids.New(), Ref: ref.String(), Kind: caseref.PreComplaint, Category: "theft",
		Status: casefile.StatusSubmitted, CreatedAt: now, SubmittedAt: now, UpdatedAt: now, ExpiresAt: now.Add(720 * time.Hour)}
	ev := casefile.Event{ID: ids.New(), CaseID: c.ID, Type: casefile.EventSubmitted, At: now, Actor: "citizen", Visible: true,
		Data: map[string]string{"category": "theft"}}
	err = st.SubmitCase(t.Context(), complaint.Submission{
		Case:     c,
		Secrets:  casefile.Secrets{TrackingHash: salt[:16], LedgerSalt: salt},
		Personal: casefile.Sealed{WrappedKey: []byte("k"), Ciphertext: []byte("c")},
		Events:   []casefile.Event{ev},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, salt
}

func TestWithSQLiteStore(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testWithStore(t, dir, st)
}

// TestWithPostgresStore needs GUICHET_TEST_POSTGRES (see
// scripts/pg-test-cluster.sh); it is skipped without it, and fails then
// when GUICHET_REQUIRE_POSTGRES=1 (CI).
func TestWithPostgresStore(t *testing.T) {
	st, err := postgres.Open(t.Context(), pgtest.Database(t, "guichet_ledger"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testWithStore(t, t.TempDir(), st)
}

// testWithStore runs the sequencer against a real store: events are
// logged once, indexes land in the database, a crash between checkpoint
// and marking is reconciled, and receipts verify.
func testWithStore(t *testing.T, dir string, st store) {
	ids := uuid7.New(nil, nil)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	skey, err := ledger.GenerateKey(rand.Reader, "plainte.example.fr/log")
	if err != nil {
		t.Fatal(err)
	}
	ob := &flakyOutbox{store: st}
	open := func() *ledger.Log {
		l, err := ledger.Open(t.Context(), ledger.Config{DataDir: dir, PublicURL: "https://plainte.example.fr", Key: skey, Outbox: ob, MaxBatch: 7})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	type sub struct {
		c    casefile.Case
		salt []byte
	}
	var subs []sub
	for i := 0; i < 20; i++ {
		c, salt := submit(t, st, ids, now.Add(time.Duration(i)*time.Minute))
		subs = append(subs, sub{c, salt})
	}
	if _, err := l.Sequence(t.Context()); err != nil {
		t.Fatal(err)
	}
	ob.fail = true
	if _, err := l.Sequence(t.Context()); err == nil {
		t.Fatal("expected the simulated failure")
	}
	l.Close()
	for i := 0; i < 5; i++ {
		c, salt := submit(t, st, ids, now.Add(time.Hour))
		subs = append(subs, sub{c, salt})
	}

	l = open()
	defer l.Close()
	for {
		n, err := l.Sequence(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if n, err := st.SequencedCount(t.Context()); err != nil || n != 25 || l.Size() != 25 {
		t.Fatalf("sequenced %d (%v), log size %d; want 25", n, err, l.Size())
	}
	seen := map[int64]bool{}
	for _, s := range subs {
		events, err := st.CaseEvents(t.Context(), s.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := l.ReceiptForEvent(t.Context(), st, s.c.Ref, s.salt, events[0])
		if err != nil {
			t.Fatalf("receipt for %s: %v", s.c.Ref, err)
		}
		if seen[r.Index] {
			t.Fatalf("index %d given twice", r.Index)
		}
		seen[r.Index] = true
		if _, err := ledger.VerifyReceipt(r, l.VerifierKey()); err != nil {
			t.Fatalf("receipt for %s: %v", s.c.Ref, err)
		}
	}
	pol, _ := checkpoint.NewPolicy(l.VerifierKey(), nil, 0)
	if _, err := ledger.VerifyLog(t.Context(), ledger.StoreFetcher(mustDirStore(t, filepath.Join(dir, "log"))), pol, ledger.AuditOptions{}); err != nil {
		t.Fatal(err)
	}
}

func mustDirStore(t *testing.T, dir string) *ledger.DirStore {
	s, err := ledger.NewDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// BenchmarkSequenceSQLite measures the sequencer draining a real SQLite
// outbox (MarkSequenced included); b.N is the number of events.
func BenchmarkSequenceSQLite(b *testing.B) {
	dir := b.TempDir()
	st, err := sqlite.Open(b.Context(), filepath.Join(dir, "guichet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ids := uuid7.New(nil, nil)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		submit(b, st, ids, now)
	}
	skey, _ := ledger.GenerateKey(rand.Reader, "bench.example/log")
	l, err := ledger.Open(b.Context(), ledger.Config{DataDir: dir, Origin: "bench.example/log", Key: skey, Outbox: st})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	for {
		n, err := l.Sequence(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
