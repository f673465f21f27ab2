package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
)

// benchCase measures what an agent waits for when opening a case page:
// the scope check, the decryption of the personal part and the notes, the
// "accessed" event and its outbox leaf written durably, and the history,
// appointment, assignee and evidence read back for the page. Cases are
// filed beforehand through the pre-complaint service; only openings are
// timed.
func benchCase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench case", "Measure the latency of opening a case page (decrypt + access event).", stderr)
	database := fs.String("database", "", "database `url` (default: SQLite in a temporary directory)")
	cases := fs.Int("cases", 200, "number of pre-complaints filed beforehand")
	n := fs.Int("n", 2000, "number of openings")
	conc := fs.Int("concurrency", 1, "agents opening cases at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cases < 1 || *n < 1 || *conc < 1 {
		return usageError{"bench case: --cases, -n and --concurrency must be positive"}
	}
	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	u, slot, err := benchUnit(ctx, a, *cases+10)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench case: store %s, %d cases, %d openings, %d agents\n", a.dialect(), *cases, *n, *conc)
	codes, err := prepareDrafts(ctx, a.complaints, u.ID, slot.ID, *cases, 4)
	if err != nil {
		return err
	}
	p := account.Principal{AgentID: a.ids.New(), Pseudonym: "BENCH", ServiceNumber: "BENCH", UnitID: u.ID,
		Role: account.RoleAgent, Units: []string{u.ID}}
	refs := make([]string, 0, len(codes))
	for _, code := range codes {
		sub, _, err := a.complaints.Submit(ctx, code)
		if err != nil {
			return err
		}
		if _, err := a.cases.AddNote(ctx, p, sub.Ref, "Rappeler le témoin avant le rendez-vous.", false); err != nil {
			return err
		}
		refs = append(refs, sub.Ref)
	}

	lat := make([]time.Duration, *n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range *conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= *n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				_, err := a.cases.Open(ctx, p, refs[i%len(refs)], casework.PurposeProcessing)
				lat[i] = time.Since(t0)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return fmt.Errorf("bench case: %w", firstErr)
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration {
		return lat[min(len(lat)-1, int(f*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	fmt.Fprintf(stdout, "  %d openings in %s: %.0f/s\n", *n, elapsed.Round(time.Millisecond), float64(*n)/elapsed.Seconds())
	fmt.Fprintf(stdout, "  latency p50 %s  p90 %s  p99 %s  max %s\n", q(0.50), q(0.90), q(0.99), lat[len(lat)-1].Round(10*time.Microsecond))
	return nil
}
