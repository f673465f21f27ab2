package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/report"
)

// BenchMatch measures cross-referencing on a store made by open (each call
// MUST return a fresh, empty store closed at the end of b) holding reports
// synthetic reports filed in campaigns by a rebuild (neither timed):
//   - KeyStates: looking a new report's values up in the index (a read);
//   - SubmitReport/joining: filing a report that holds an existing
//     report's values and a URL of its own, with its campaign, durably;
//   - SubmitReport/floor: filing a report holding no value.
//
// Each reports the p50 and p99 latency of one call in microseconds.
func BenchMatch(b *testing.B, reports int, open func(b *testing.B) SyntheticStore) {
	s := open(b)
	f := newFixture(b, s)
	ctx := b.Context()
	if err := s.GenerateSyntheticReports(ctx, reports, f.now.Add(-time.Duration(reports)*time.Second)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.RebuildCampaigns(ctx, report.DefaultMaxDegree); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	newKeys := func() []string {
		n++
		return append(report.SyntheticKeys(rng.IntN(reports)), fmt.Sprintf("url:http://bench-%d.example/", n))
	}
	b.Run("KeyStates", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			keys := newKeys()
			t0 := time.Now()
			if _, err := s.KeyStates(ctx, keys); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat)
	})
	for _, tc := range []struct {
		name string
		keys func() []string
	}{{"SubmitReport/joining", newKeys}, {"SubmitReport/floor", func() []string { return nil }}} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				b.StopTimer()
				sub := f.reportSubmission(report.LaneNormal)
				for _, k := range tc.keys() {
					sub.Seen = append(sub.Seen, seenKey(k))
				}
				b.StartTimer()
				t0 := time.Now()
				if err := s.SubmitReport(ctx, sub); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	us := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e3 }
	b.ReportMetric(us(0.50), "p50-µs")
	b.ReportMetric(us(0.99), "p99-µs")
}
