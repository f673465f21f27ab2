package casework_test

import (
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

// BenchmarkOpen measures opening a case page on SQLite: the scope check,
// the decryption of the personal part and notes, and the "accessed" event
// written with its outbox leaf in one durable transaction. It reports the
// 50th and 99th percentiles beside the mean.
func BenchmarkOpen(b *testing.B) {
	e := caseworktest.New(b)
	u := e.Units[0]
	p := e.Principal(u, account.RoleAgent, "A111")
	var refs []string
	for i := range 20 {
		sub := e.Submit(u, caseworktest.Filing{Slot: i % 8})
		if _, err := e.Cases.AddNote(b.Context(), p, sub.Ref, "Appeler le témoin avant le rendez-vous.", false); err != nil {
			b.Fatal(err)
		}
		refs = append(refs, sub.Ref)
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := e.Cases.Open(b.Context(), p, refs[i%len(refs)], casework.PurposeProcessing); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
