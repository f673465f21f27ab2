package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/uuid7"
)

// syntheticStore is a store that can fill itself with synthetic reports
// and measure its cross-referencing index.
type syntheticStore interface {
	store
	GenerateSyntheticReports(ctx context.Context, n int, start time.Time) error
	IndexBytes(ctx context.Context) (map[string]int64, error)
}

// benchReports measures cross-referencing on the real store: the rebuild
// of every campaign from scratch, the size of the index, the lookup of a
// new report's values in the index, and filing a report with its linking,
// beside filing one with no value (the floor).
//
// The database is filled with synthetic reports (report.SyntheticKeys:
// numbers shared by four reports, chained into campaigns, gmail.com as a
// known-good value and a hub), inserted in bulk — not through the intake
// path — and filed in campaigns by the rebuild that is timed. The index is
// the store's own (B-tree tables and indexes), not an in-memory structure:
// its size is given on disk, and the rebuild's Go heap separately.
func benchReports(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench reports", "Measure cross-referencing: rebuild, index size, matching and filing latency.", stderr)
	database := fs.String("database", "", "database `url` holding no report (default: SQLite in a temporary directory)")
	n := fs.Int("reports", 1_000_000, "synthetic reports in the index (about 1.13 values each; 10000000 for the 10M figure)")
	m := fs.Int("n", 2000, "new reports matched and filed, of each kind")
	maxDegree := fs.Int("max-degree", report.DefaultMaxDegree, "degree threshold of the rebuild")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the rebuild to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 100 || *m < 10 || *maxDegree < 1 {
		return usageError{"bench reports: --reports must be at least 100, -n at least 10, --max-degree at least 1"}
	}
	url := *database
	if url == "" {
		dir, err := os.MkdirTemp("", "guichet-bench-reports-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		url = "sqlite://" + filepath.Join(dir, "guichet.db")
	}
	st, closeStore, err := openStore(ctx, url)
	if err != nil {
		return err
	}
	defer closeStore()
	gen, ok := st.(syntheticStore)
	if !ok {
		return fmt.Errorf("bench reports: the store cannot generate synthetic reports")
	}
	dialect := strings.SplitN(url, ":", 2)[0]
	fmt.Fprintf(stdout, "bench reports: store %s, %d synthetic reports, threshold %d, GOMAXPROCS %d\n", dialect, *n, *maxDegree, runtime.GOMAXPROCS(0))

	start := time.Now().UTC().Add(-time.Duration(*n) * time.Second).Truncate(time.Second)
	t0 := time.Now()
	if err := gen.GenerateSyntheticReports(ctx, *n, start); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  generated in bulk in %s (not timed below)\n", time.Since(t0).Round(time.Millisecond))

	// The rebuild, with the Go heap sampled while it runs.
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0 = time.Now()
	rs, err := st.RebuildCampaigns(ctx, *maxDegree)
	took := time.Since(t0)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	perM := func(v float64) float64 { return v / (float64(rs.Values) / 1e6) }
	heap := float64(peak.Load()-min(peak.Load(), base.HeapInuse)) / (1 << 20)
	fmt.Fprintf(stdout, "  rebuild from scratch: %d reports, %d values, %d keys (%d linking) → %d campaigns (largest %d reports), %d reports alone\n",
		rs.Reports, rs.Values, rs.Keys, rs.LinkingKeys, rs.Campaigns, rs.Largest, rs.Alone)
	fmt.Fprintf(stdout, "    took %s = %.0f reports/s (%s per million reports); Go heap peak +%.0f MiB (%.0f MiB per million values)\n",
		took.Round(time.Millisecond), float64(rs.Reports)/took.Seconds(),
		(time.Duration(float64(took) / (float64(rs.Reports) / 1e6))).Round(time.Millisecond), heap, perM(heap))

	sizes, err := gen.IndexBytes(ctx)
	if err != nil {
		return err
	}
	var total int64
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sizes)) {
		total += sizes[k]
		parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(sizes[k])/(1<<20)))
	}
	fmt.Fprintf(stdout, "  index on disk: %.1f MiB = %.1f MiB per million values (%s MiB)\n",
		float64(total)/(1<<20), perM(float64(total)/(1<<20)), strings.Join(parts, ", "))

	// New reports: each holds the values of an existing report (so it
	// joins its campaign, or meets gmail.com and the hub) and a URL of its
	// own.
	rng := mrand.New(mrand.NewPCG(1, 2))
	ids := uuid7.New(nil, rand.Reader)
	var joining, fresh, empty []report.Submission
	var lookups [][]string
	for j := range *m {
		old := report.SyntheticKeys(rng.IntN(*n))
		own := fmt.Sprintf("url:http://nouveau-%d.example/", j)
		lookups = append(lookups, append(slices.Clone(old), own))
		for _, set := range []struct {
			dst  *[]report.Submission
			keys []string
		}{{&joining, append(old, own)}, {&fresh, []string{own + "seul"}}, {&empty, nil}} {
			sub, err := benchReportSubmission(ids, set.keys)
			if err != nil {
				return err
			}
			*set.dst = append(*set.dst, sub)
		}
	}
	look := make([]time.Duration, *m)
	for j, keys := range lookups {
		t0 := time.Now()
		if _, err := st.KeyStates(ctx, keys); err != nil {
			return err
		}
		look[j] = time.Since(t0)
	}
	fmt.Fprintf(stdout, "  match a new report's %.2f values against the index (KeyStates, read, one client): %s\n",
		meanLen(lookups), latencies(look))
	lat := map[string][]time.Duration{}
	kinds := []struct {
		name string
		subs []report.Submission
	}{{"no value (floor)", empty}, {"one new value", fresh}, {"joining a campaign", joining}}
	for j := range *m {
		for _, k := range kinds { // interleaved: the three kinds see the same conditions
			t0 := time.Now()
			if err := st.SubmitReport(ctx, k.subs[j]); err != nil {
				return err
			}
			lat[k.name] = append(lat[k.name], time.Since(t0))
		}
	}
	fmt.Fprintf(stdout, "  file a report, durable, with its campaign (SubmitReport, one client):\n")
	floor := percentile(lat[kinds[0].name], 0.50)
	for _, k := range kinds {
		l := lat[k.name]
		ratio := ""
		if k.name != kinds[0].name {
			ratio = fmt.Sprintf("  (p50 ×%.2f the floor)", float64(percentile(l, 0.50))/float64(floor))
		}
		fmt.Fprintf(stdout, "    %-20s %s%s\n", k.name, latencies(l), ratio)
	}
	c, err := st.ReportCampaign(ctx, joining[0].Case.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  check: the first joining report is in %s, of %d reports\n", c.Ref, c.Reports)
	return nil
}

// benchReportSubmission builds a report holding keys, as the intake path would
// file it: its case, secrets, a 300-byte sealed part and its event.
func benchReportSubmission(ids *uuid7.Generator, keys []string) (report.Submission, error) {
	now := time.Now().UTC()
	ref, err := caseref.New(caseref.Report, now.Year(), rand.Reader)
	if err != nil {
		return report.Submission{}, err
	}
	rnd := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }
	id := ids.New()
	sub := report.Submission{
		Case: casefile.Case{ID: id, Ref: ref.String(), Kind: caseref.Report, Category: string(report.CatPhishing),
			Status: casefile.StatusSubmitted, CreatedAt: now, SubmittedAt: now, UpdatedAt: now},
		Secrets:  casefile.Secrets{TrackingHash: rnd(32), LedgerSalt: rnd(32)},
		Personal: casefile.Sealed{WrappedKey: rnd(60), Ciphertext: rnd(300)},
		Lane:     report.LaneNormal,
		Events: []casefile.Event{{ID: ids.New(), CaseID: id, Type: casefile.EventSubmitted, At: now,
			Actor: string(casefile.ActorCitizen), Visible: true, Data: map[string]string{"category": string(report.CatPhishing)}}},
	}
	for _, k := range keys {
		kind, canon, _ := strings.Cut(k, ":")
		sub.Seen = append(sub.Seen, report.Seen{Channel: kind, Kind: kind, Input: canon, Valid: true, Canonical: canon, Display: canon, Key: k})
	}
	return sub, nil
}

func meanLen(ls [][]string) float64 {
	n := 0
	for _, l := range ls {
		n += len(l)
	}
	return float64(n) / float64(len(ls))
}

// percentile returns the q-quantile of lat (sorting a copy): the
// smallest value at least a fraction q of them do not exceed.
func percentile(lat []time.Duration, q float64) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[max(0, min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1))]
}

func latencies(lat []time.Duration) string {
	r := func(d time.Duration) time.Duration {
		if d < time.Millisecond {
			return d.Round(time.Microsecond)
		}
		return d.Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (n=%d)", r(percentile(lat, 0.50)), r(percentile(lat, 0.99)), r(slices.Max(lat)), len(lat))
}
