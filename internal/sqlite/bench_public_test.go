package sqlite

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchPublished is how many published keys BenchmarkCheckKeys seeds
// (GUICHET_BENCH_PUBLISHED, default 1,000,000).
func benchPublished(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("GUICHET_BENCH_PUBLISHED"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// BenchmarkCheckKeys: one check of one value against a million published
// keys (and 125,000 shared by eight reports), as /verifier asks it. The
// checker's figure: p99 under 2 ms (guichet bench verifier prints the
// percentiles).
func BenchmarkCheckKeys(b *testing.B) {
	n := benchPublished(b)
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "guichet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if err := s.GenerateSyntheticPublished(b.Context(), n, time.Now().AddDate(-1, 0, 0), 365*24*time.Hour); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d published keys in %s", n, time.Since(start).Round(time.Millisecond))
	r := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"own", "shared", "unknown"} {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				i := r.IntN(n)
				key := fmt.Sprintf("phone:+336%08d", i)
				switch kind {
				case "shared":
					key = fmt.Sprintf("url:https://scam-%d.example/", i/8)
				case "unknown":
					key = fmt.Sprintf("phone:+3365%07d", i)
				}
				got, err := s.CheckKeys(b.Context(), []string{key})
				if err != nil {
					b.Fatal(err)
				}
				if _, told := got[key]; told == (kind == "unknown") {
					b.Fatalf("%s: %v", key, got)
				}
			}
		})
	}
}
