package ledger

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

func openCheckpoint(t *testing.T, l *Log) *checkpoint.Verified {
	t.Helper()
	p, err := checkpoint.NewPolicy(l.VerifierKey(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Open(l.Checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkLogHolds checks that the log's entries are exactly want, in order,
// and that the published checkpoint's root is theirs.
func checkLogHolds(t *testing.T, l *Log, want [][]byte) {
	t.Helper()
	v := openCheckpoint(t, l)
	if v.Size != int64(len(want)) {
		t.Fatalf("log size %d, want %d", v.Size, len(want))
	}
	got, err := readEntries(t.Context(), l.store, v.Size, 0, v.Size)
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{}
	for i, e := range got {
		if !bytes.Equal(e, want[i]) {
			t.Fatalf("entry %d = %s, want %s", i, e, want[i])
		}
		b.appendLeaf(nil, tlog.RecordHash(e), func(tileOut) {})
	}
	if b.root() != v.Hash {
		t.Fatalf("entries hash to %v, checkpoint says %v", b.root(), v.Hash)
	}
}

func TestSequenceAndReopen(t *testing.T) {
	dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
	l := openTest(t, dir, skey, ob)
	if v := openCheckpoint(t, l); v.Size != 0 || v.Origin != testOrigin {
		t.Fatalf("new log checkpoint %+v", v.Checkpoint)
	}
	leaves := testLeaves(0, 250)
	ob.add(leaves...)
	drain(t, l)
	if ob.marks != 3 {
		t.Errorf("%d batches, want 3 of at most 100", ob.marks)
	}
	checkLogHolds(t, l, leaves)
	if got := ob.byIndex(t); len(got) != 250 || !bytes.Equal(got[249], leaves[249]) {
		t.Fatalf("outbox indexes wrong")
	}
	l.Close()

	l2 := openTest(t, dir, skey, ob)
	if l2.Size() != 250 || !bytes.Equal(l2.Checkpoint(), l.Checkpoint()) {
		t.Fatalf("reopened at size %d", l2.Size())
	}
	more := testLeaves(250, 300)
	ob.add(more...)
	drain(t, l2)
	checkLogHolds(t, l2, append(leaves, more...))
	if fi, err := os.Stat(filepath.Join(dir, "ledger.key")); err == nil {
		t.Errorf("key file written although the key was given: %v", fi.Mode())
	}
}

// Property: whatever the batch sizes, every published checkpoint
// includes every entry (inclusion proofs verify) and extends every earlier
// checkpoint (consistency proofs verify), both checked with tlog alone.
func TestRandomAppendsProofsVerify(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob, func(c *Config) { c.MaxBatch = 700 })
	type head struct {
		size int64
		hash tlog.Hash
	}
	heads := []head{{0, emptyRoot}}
	var leaves [][]byte
	for round := 0; round < 40; round++ {
		n := 1 + rng.IntN(600)
		if rng.IntN(3) == 0 {
			n = 1 + rng.IntN(3)
		}
		batch := testLeaves(len(leaves), n)
		leaves = append(leaves, batch...)
		ob.add(batch...)
		drain(t, l)
		v := openCheckpoint(t, l)
		heads = append(heads, head{v.Size, v.Hash})
		for k := 0; k < 20; k++ {
			i := rng.Int64N(v.Size)
			p, err := l.InclusionProof(t.Context(), i, v.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, v.Size, v.Hash, i, tlog.RecordHash(leaves[i])); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, v.Size, err)
			}
			old := heads[rng.IntN(len(heads))]
			tp, err := l.ConsistencyProof(t.Context(), old.size, v.Size)
			if err != nil {
				t.Fatal(err)
			}
			if old.size == 0 {
				if len(tp) != 0 {
					t.Fatalf("non-empty proof from the empty tree")
				}
			} else if err := tlog.CheckTree(tp, v.Size, v.Hash, old.size, old.hash); err != nil {
				t.Fatalf("consistency %d→%d: %v", old.size, v.Size, err)
			}
			// Older tree sizes are provable too.
			if old.size > 0 {
				j := rng.Int64N(old.size)
				p, err := l.InclusionProof(t.Context(), j, old.size)
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.CheckRecord(p, old.size, old.hash, j, tlog.RecordHash(leaves[j])); err != nil {
					t.Fatalf("inclusion of %d in old %d: %v", j, old.size, err)
				}
			}
		}
	}
	if _, err := l.InclusionProof(t.Context(), 0, l.Size()+1); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("proof beyond the published tree: %v", err)
	}
	if _, err := l.ConsistencyProof(t.Context(), 5, 4); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("backwards consistency proof: %v", err)
	}
}

var errCrash = errors.New("simulated crash")

// A crash at any step of an append, then a restart, leaves every
// committed row logged exactly once and the checkpoint verifying.
func TestCrashAtEveryStage(t *testing.T) {
	for _, stage := range []string{"tiles", "checkpoint", "mark", "marked"} {
		t.Run(stage, func(t *testing.T) {
			dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
			l := openTest(t, dir, skey, ob)
			first := testLeaves(0, 130)
			ob.add(first...)
			drain(t, l)

			second := testLeaves(130, 90)
			ob.add(second...)
			l.crash = func(s string) error {
				if s == stage {
					return errCrash
				}
				return nil
			}
			if _, err := l.Sequence(t.Context()); !errors.Is(err, errCrash) {
				t.Fatalf("Sequence = %v, want the crash", err)
			}
			l.Close() // the process dies: in-memory state is lost

			// Rows committed while the process was down.
			third := testLeaves(220, 50)
			ob.add(third...)

			l2 := openTest(t, dir, skey, ob)
			drain(t, l2)
			all := append(append(append([][]byte{}, first...), second...), third...)
			checkLogHolds(t, l2, all)
			got := ob.byIndex(t)
			if len(got) != len(all) {
				t.Fatalf("%d rows marked, want %d", len(got), len(all))
			}
			for i := range got {
				if !bytes.Equal(got[i], all[i]) {
					t.Fatalf("row at index %d is not the logged entry", i)
				}
			}
		})
	}
}

// Crashing many times in a row, at random stages, never duplicates or
// loses an entry.
func TestRepeatedRandomCrashes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
	var all [][]byte
	stages := []string{"tiles", "checkpoint", "mark", "marked", "none"}
	for round := 0; round < 60; round++ {
		batch := testLeaves(len(all), 1+rng.IntN(300))
		all = append(all, batch...)
		ob.add(batch...)
		l := openTest(t, dir, skey, ob, func(c *Config) { c.MaxBatch = 1 + rng.IntN(200) })
		stage := stages[rng.IntN(len(stages))]
		steps := rng.IntN(4)
		l.crash = func(s string) error {
			if s == stage {
				if steps == 0 {
					return errCrash
				}
				steps--
			}
			return nil
		}
		for {
			n, err := l.Sequence(t.Context())
			if errors.Is(err, errCrash) || n == 0 {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
	}
	l := openTest(t, dir, skey, ob)
	drain(t, l)
	checkLogHolds(t, l, all)
	got := ob.byIndex(t)
	for i := range all {
		if !bytes.Equal(got[i], all[i]) {
			t.Fatalf("index %d: database and log disagree", i)
		}
	}
}

// A failed MarkSequenced (the database was briefly unavailable) is
// reconciled by the same process before it appends anything else.
func TestMarkFailureReconciles(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob)
	a := testLeaves(0, 10)
	ob.add(a...)
	ob.failMark = errors.New("database is locked")
	if _, err := l.Sequence(t.Context()); err == nil {
		t.Fatal("Sequence succeeded although MarkSequenced failed")
	}
	b := testLeaves(10, 5)
	ob.add(b...)
	drain(t, l)
	checkLogHolds(t, l, append(a, b...))
	if got := ob.byIndex(t); len(got) != 15 {
		t.Fatalf("%d marked", len(got))
	}
}

// On PostgreSQL a row can commit after rows with higher IDs were
// appended: reconciliation matches logged entries by content, not by
// position among pending rows.
func TestReconcileWithLateLowerID(t *testing.T) {
	dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
	l := openTest(t, dir, skey, ob)
	ob.nextID = 100
	a := testLeaves(0, 20)
	ob.add(a...)
	l.crash = func(s string) error {
		if s == "mark" {
			return errCrash
		}
		return nil
	}
	if _, err := l.Sequence(t.Context()); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	l.Close()
	late := testLeaf(999)
	ob.addWithID(50, late) // took ID 50 long ago, committed only now
	l2 := openTest(t, dir, skey, ob)
	drain(t, l2)
	checkLogHolds(t, l2, append(append([][]byte{}, a...), late))
}

func TestDivergenceStopsTheSequencer(t *testing.T) {
	t.Run("database ahead of the log", func(t *testing.T) {
		dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
		l := openTest(t, dir, skey, ob)
		ob.add(testLeaves(0, 5)...)
		drain(t, l)
		l.Close()
		// The log directory is replaced by an older copy (here: empty).
		os.RemoveAll(filepath.Join(dir, "log"))
		l2 := openTest(t, dir, skey, ob)
		ob.add(testLeaf(5))
		if _, err := l2.Sequence(t.Context()); !errors.Is(err, ErrDiverged) {
			t.Fatalf("Sequence = %v, want ErrDiverged", err)
		}
		if err := l2.Run(t.Context()); !errors.Is(err, ErrDiverged) {
			t.Fatalf("Run = %v, want ErrDiverged", err)
		}
	})
	t.Run("log holds an entry the database never had", func(t *testing.T) {
		dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
		l := openTest(t, dir, skey, ob)
		ob.add(testLeaves(0, 3)...)
		l.crash = func(s string) error {
			if s == "mark" {
				return errCrash
			}
			return nil
		}
		l.Sequence(t.Context())
		l.Close()
		// The database lost those rows (restored from a backup).
		ob.rows = nil
		ob.add(testLeaf(42))
		l2 := openTest(t, dir, skey, ob)
		if _, err := l2.Sequence(t.Context()); !errors.Is(err, ErrDiverged) {
			t.Fatalf("Sequence = %v, want ErrDiverged", err)
		}
	})
}

func TestBadLeafRefused(t *testing.T) {
	for name, leaf := range map[string][]byte{
		"free text":     []byte(`{"v":1,"kind":"case.event","case":"Jean Dupont, 3 rue de la Paix","type":"submitted","at":"2026-03-14T09:26:53Z","digest":"00"}`),
		"not canonical": bytes.ReplaceAll(testLeaf(1), []byte(`,"kind"`), []byte(`, "kind"`)),
		"extra field":   bytes.Replace(testLeaf(1), []byte(`{"v":1`), []byte(`{"name":"x","v":1`), 1),
		"not json":      []byte("hello"),
		"uppercase hex": bytes.ToUpper(testLeaf(1)),
	} {
		t.Run(name, func(t *testing.T) {
			ob := &memOutbox{}
			l := openTest(t, t.TempDir(), testKey(t), ob)
			ob.add(testLeaf(0), leaf)
			if _, err := l.Sequence(t.Context()); !errors.Is(err, ErrBadLeaf) {
				t.Fatalf("Sequence = %v, want ErrBadLeaf", err)
			}
			if l.Size() != 0 {
				t.Fatal("a batch holding a bad leaf was partly appended")
			}
		})
	}
}

func TestRunWakesOnNotify(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob, func(c *Config) { c.Interval = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	for i := 0; i < 5; i++ {
		ob.add(testLeaf(i))
		l.Notify()
		deadline := time.Now().Add(5 * time.Second)
		for l.Size() != int64(i+1) {
			if time.Now().After(deadline) {
				t.Fatalf("size %d after notify %d", l.Size(), i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestAdmitBackpressure(t *testing.T) {
	clk := &fakeClock{time.Unix(1e9, 0)}
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob, func(c *Config) { c.Clock = clk; c.MaxLag = 10 * time.Second })
	if err := l.Admit(); err != nil {
		t.Fatal(err)
	}
	l.record(0, errors.New("disk full"))
	if err := l.Admit(); err != nil {
		t.Fatalf("Admit right after one failure: %v", err)
	}
	clk.t = clk.t.Add(11 * time.Second)
	err := l.Admit()
	var bp *BackpressureError
	if !errors.Is(err, guichet.ErrUnavailable) || !errors.As(err, &bp) || bp.RetryAfter <= 0 {
		t.Fatalf("Admit = %v, want a BackpressureError", err)
	}
	l.record(l.cfg.MaxBatch, nil) // full batch: still behind
	if l.Admit() == nil {
		t.Fatal("still behind, but admitted")
	}
	l.record(3, nil) // caught up
	if err := l.Admit(); err != nil {
		t.Fatalf("caught up, Admit = %v", err)
	}
}

func TestOneSequencerPerDirectory(t *testing.T) {
	dir, skey := t.TempDir(), testKey(t)
	openTest(t, dir, skey, &memOutbox{})
	_, err := Open(t.Context(), Config{DataDir: dir, Origin: testOrigin, Key: skey})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open = %v, want a lock error", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(t.Context(), Config{DataDir: dir, PublicURL: "https://plainte.example.fr/", Outbox: &memOutbox{}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Origin() != "plainte.example.fr/log" || !strings.HasPrefix(l.VerifierKey(), "plainte.example.fr/log+") {
		t.Fatalf("origin %q, key %q", l.Origin(), l.VerifierKey())
	}
	vkey := l.VerifierKey()
	l.Close()
	kf := filepath.Join(dir, "ledger.key")
	fi, err := os.Stat(kf)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	l, err = Open(t.Context(), Config{DataDir: dir, PublicURL: "https://plainte.example.fr"})
	if err != nil {
		t.Fatal(err)
	}
	if l.VerifierKey() != vkey {
		t.Fatal("reopened with another key")
	}
	l.Close()
	// Another public URL is another log: its key does not fit.
	if _, err := Open(t.Context(), Config{DataDir: dir, PublicURL: "https://other.example"}); err == nil {
		t.Fatal("opened with a key named for another origin")
	}
	os.Chmod(kf, 0o644)
	if _, err := Open(t.Context(), Config{DataDir: dir, PublicURL: "https://plainte.example.fr"}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
}

func TestOriginForURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://plainte.example.fr":          "plainte.example.fr/log",
		"https://plainte.example.fr/":         "plainte.example.fr/log",
		"http://localhost:8080":               "localhost:8080/log",
		"https://example.org/guichet/":        "example.org/guichet/log",
		"https://example.org/guichet?x=1#top": "example.org/guichet/log",
	} {
		if got, err := OriginForURL(in); err != nil || got != want {
			t.Errorf("OriginForURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := OriginForURL("not a url"); err == nil {
		t.Error("OriginForURL accepted a URL without host")
	}
}

// A checkpoint or tile altered on disk is caught when the log opens.
func TestOpenDetectsCorruption(t *testing.T) {
	dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
	l := openTest(t, dir, skey, ob)
	ob.add(testLeaves(0, 300)...)
	drain(t, l)
	l.Close()
	tile := filepath.Join(dir, "log", "tile", "0", "001.p", "44")
	b, err := os.ReadFile(tile)
	if err != nil {
		t.Fatal(err)
	}
	b[5] ^= 1
	os.WriteFile(tile, b, 0o644)
	if _, err := Open(t.Context(), Config{DataDir: dir, Origin: testOrigin, Key: skey}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	b[5] ^= 1
	os.WriteFile(tile, b, 0o644)
	other := testKey(t)
	if _, err := Open(t.Context(), Config{DataDir: dir, Origin: testOrigin, Key: other}); !errors.Is(err, checkpoint.ErrWrongKey) {
		t.Fatalf("Open with another key = %v, want ErrWrongKey", err)
	}
}

// Key rotation: sign with both keys for a while, then with the new one
// only. Verifiers holding either key keep working through the overlap.
func TestKeyRotation(t *testing.T) {
	dir, oldKey, newKey, ob := t.TempDir(), testKey(t), testKey(t), &memOutbox{}
	oldV, newV := mustParseKey(t, oldKey).VerifierKey(), mustParseKey(t, newKey).VerifierKey()
	l := openTest(t, dir, oldKey, ob)
	ob.add(testLeaves(0, 10)...)
	drain(t, l)
	l.Close()

	l = openTest(t, dir, oldKey, ob, func(c *Config) { c.ExtraKeys = []string{newKey} })
	ob.add(testLeaves(10, 10)...)
	drain(t, l)
	if got := l.VerifierKeys(); len(got) != 2 || got[1] != newV {
		t.Fatalf("keys %v", got)
	}
	overlap := l.Checkpoint()
	for _, vk := range []string{oldV, newV} {
		p, _ := checkpoint.NewPolicy(vk, nil, 0)
		if _, err := p.Open(overlap); err != nil {
			t.Fatalf("overlap checkpoint with %s: %v", vk, err)
		}
	}
	l.Close()

	l = openTest(t, dir, newKey, ob)
	ob.add(testLeaves(20, 10)...)
	drain(t, l)
	pNew, _ := checkpoint.NewPolicy(newV, nil, 0)
	pOld, _ := checkpoint.NewPolicy(oldV, nil, 0)
	if _, err := pNew.Open(l.Checkpoint()); err != nil {
		t.Fatal(err)
	}
	if _, err := pOld.Open(l.Checkpoint()); !errors.Is(err, checkpoint.ErrWrongKey) {
		t.Fatalf("old key after rotation: %v", err)
	}
	// An auditor that saved the overlap checkpoint carries on with the new key.
	if _, err := VerifyLog(t.Context(), StoreFetcher(l.store), pNew, AuditOptions{Saved: overlap}); err != nil {
		t.Fatal(err)
	}
}

func mustParseKey(t *testing.T, skey string) *Key {
	k, err := ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
