package storetest

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/complaint"
)

// BenchSubmitCase measures SubmitCase on stores made by open (each call
// MUST return a fresh, empty store closed at the end of b), as the intake
// path uses it: a draft deleted, a slot booked, a 2 KB sealed personal part,
// two events with their outbox leaves. It runs one sub-benchmark per number
// of concurrent clients; drafts are created before the timer starts and
// bookings are spread over 64 slots. Beside ns/op (wall time per submission
// across all clients) it reports submits/s and the p50 and p99 latency of
// one call in milliseconds.
func BenchSubmitCase(b *testing.B, open func(b *testing.B) Store) {
	for _, clients := range []int{1, 8, 64} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			benchSubmit(b, open(b), clients)
		})
	}
}

func benchSubmit(b *testing.B, s Store, clients int) {
	f := newFixture(b, s)
	ctx := b.Context()
	slots := make([]string, 64)
	for i := range slots {
		slots[i] = f.newSlot(f.now.Add(time.Duration(24+i)*time.Hour), 1<<30).ID
	}
	subs := make([]complaint.Submission, b.N)
	for i := range subs {
		subs[i] = f.submission(f.newDraft(f.now.Add(time.Hour)).ID, slots[i%len(slots)])
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				start := time.Now()
				if err := s.SubmitCase(ctx, subs[i]); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
