package ledger

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkSequence measures appends through the sequencer, fsyncs
// included, in batches of 4096.
func BenchmarkSequence(b *testing.B) {
	ob := &benchOutbox{}
	l, err := benchLog(b.Context(), b.TempDir(), ob, 4096)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	leaves := make([][]byte, 4096)
	for i := range leaves {
		leaves[i] = benchLeaf(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ob.add(leaves...)
		if _, err := l.Sequence(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(leaves))/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkInclusionProof1M times a proof in a tree of a million leaves
// (tiles cached in $TMPDIR/guichet-ledger-bench between runs).
func BenchmarkInclusionProof1M(b *testing.B) {
	const size = 1_000_000
	dir := filepath.Join(os.TempDir(), "guichet-ledger-bench", "1000000")
	if err := buildBenchTree(b.Context(), dir, size); err != nil {
		b.Fatal(err)
	}
	hr := storeHashReader{ctx: b.Context(), store: &DirStore{root: dir}, cache: newTileCache(2048), size: size}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tlog.ProveRecord(size, int64(i*7919)%size, hr); err != nil {
			b.Fatal(err)
		}
	}
}

// A short run of Bench, so `guichet bench ledger` keeps working.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var out bytes.Buffer
	err := Bench(t.Context(), &out, BenchOptions{
		Dir: t.TempDir(), Appends: 5000, ProofSizes: []int64{70_000}, CacheDir: t.TempDir(),
		Rate: 500, LatencyFor: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"appends:", "inclusion:", "publication:"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log(out.String())
}

// TestBenchFull prints the full figures (as `guichet bench ledger` does)
// when GUICHET_BENCH_LEDGER=1; the 10M-entry tree takes a minute to build
// the first time.
func TestBenchFull(t *testing.T) {
	if os.Getenv("GUICHET_BENCH_LEDGER") != "1" {
		t.Skip("set GUICHET_BENCH_LEDGER=1")
	}
	if err := Bench(t.Context(), testWriter{t}, BenchOptions{}); err != nil {
		t.Fatal(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
