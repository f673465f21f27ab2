package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/postgres"
)

// benchHub measures how long a committed event takes to reach a hub
// subscriber: in process, and — on PostgreSQL — from node A's commit to a
// subscriber of node B over LISTEN/NOTIFY. Events are written at a steady
// rate by the store (a pre-complaint with two events per transaction). The
// floor is the write itself, timed in the same run: from the start of the
// write to its commit being acknowledged to the writer.
func benchHub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench hub", "Measure commit → subscriber latency of the event hub.", stderr)
	database := fs.String("database", "", "database `url` (default: SQLite in a temporary directory; postgres://… adds node A → node B)")
	rate := fs.Int("rate", 1000, "events written per second")
	dur := fs.Duration("duration", 5*time.Second, "how long to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 2 || *dur <= 0 {
		return usageError{"bench hub: --rate must be at least 2 and --duration positive"}
	}
	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	u, _, err := benchUnit(ctx, a, 1)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = a.hub.Run(runCtx) })

	// Node B: a second store on the same PostgreSQL database, with a hub
	// of its own fed only by LISTEN/NOTIFY (its poll is too slow to help).
	var remote *hub.Hub
	if strings.HasPrefix(*database, "postgres") {
		b, err := postgres.Open(ctx, *database)
		if err != nil {
			return err
		}
		defer b.Close()
		remote = hub.New(b, hub.Config{Poll: time.Hour})
		if err := remote.Start(ctx); err != nil {
			return err
		}
		b.SetPublisher(remote.Publish)
		wg.Go(func() { _ = remote.Run(runCtx) })
		ready := make(chan struct{})
		var once sync.Once
		wg.Go(func() {
			_ = b.Listen(runCtx, func(id int64) {
				if id == 0 {
					once.Do(func() { close(ready) })
				}
				remote.Wake(id)
			})
		})
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			return errors.New("bench hub: node B's listener did not connect")
		}
	}

	var (
		mu     sync.Mutex
		starts = map[string]time.Time{} // submitted event ID → write start
		writes []time.Duration
	)
	type sample struct {
		id string
		at time.Time
	}
	collect := func(h *hub.Hub) func() []time.Duration {
		ch := h.Subscribe(runCtx, func(r hub.Record) bool { return r.Type == casefile.EventSubmitted }, h.Head())
		var got []sample
		done := make(chan struct{})
		go func() {
			defer close(done)
			for r := range ch {
				got = append(got, sample{r.EventID, time.Now()})
			}
		}()
		return func() []time.Duration {
			<-done
			mu.Lock()
			defer mu.Unlock()
			out := make([]time.Duration, 0, len(got))
			for _, s := range got {
				if t0, ok := starts[s.id]; ok {
					out = append(out, s.at.Sub(t0))
				}
			}
			return out
		}
	}
	local := collect(a.hub)
	var fromA func() []time.Duration
	if remote != nil {
		fromA = collect(remote)
	}

	fmt.Fprintf(stdout, "bench hub: store %s, %d events/s for %s (2 events per commit)\n", a.dialect(), *rate, *dur)
	interval := time.Second / time.Duration(*rate/2)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	jobs := make(chan struct{}, 1024)
	var writers sync.WaitGroup
	var firstErr error
	for range 32 {
		writers.Go(func() {
			for range jobs {
				sub := benchSubmission(a, u.ID)
				t0 := time.Now()
				mu.Lock()
				starts[sub.Events[0].ID] = t0
				mu.Unlock()
				err := a.store.SubmitCase(ctx, sub)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				writes = append(writes, d)
				mu.Unlock()
			}
		})
	}
	deadline := time.After(*dur)
	sent := 0
loop:
	for {
		select {
		case <-tick.C:
			select {
			case jobs <- struct{}{}:
				sent++
			default: // writers saturated: the rate is not held
			}
		case <-deadline:
			break loop
		}
	}
	close(jobs)
	writers.Wait()
	time.Sleep(500 * time.Millisecond) // the last deliveries
	stop()
	if firstErr != nil {
		return fmt.Errorf("bench hub: %w", firstErr)
	}
	mu.Lock()
	wr := slices.Clone(writes)
	mu.Unlock()
	fmt.Fprintf(stdout, "  %d commits (%.0f events/s achieved)\n", len(wr), float64(2*len(wr))/dur.Seconds())
	var floor50, floor99 time.Duration
	report := func(name string, lat []time.Duration) {
		if len(lat) == 0 {
			fmt.Fprintf(stdout, "  %-36s none delivered\n", name)
			return
		}
		slices.Sort(lat)
		q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
		p50, p99 := q(0.5), q(0.99)
		fmt.Fprintf(stdout, "  %-36s %6d  p50 %-9s p99 %-9s max %s", name, len(lat),
			p50.Round(time.Microsecond), p99.Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
		if floor50 == 0 {
			floor50, floor99 = p50, p99
			fmt.Fprintln(stdout)
			return
		}
		fmt.Fprintf(stdout, "  (×%.2f p50, ×%.2f p99 of the floor; +%s at p50)\n",
			float64(p50)/float64(floor50), float64(p99)/float64(floor99), (p50 - floor50).Round(time.Microsecond))
	}
	report("floor: write, start → committed", wr)
	loc := local()
	report("in process: start → subscriber", loc)
	if fromA != nil {
		report("node A → node B: start → subscriber", fromA())
	}
	if len(loc) != len(wr) {
		return fmt.Errorf("bench hub: %d commits but %d deliveries in process", len(wr), len(loc))
	}
	return nil
}

// benchSubmission is a bare pre-complaint (no draft, no slot) with two
// events; its personal part is random bytes, which the store keeps opaque.
func benchSubmission(a *app, unitID string) complaint.Submission {
	now := time.Now().UTC().Truncate(time.Microsecond)
	ref, _ := caseref.New(caseref.PreComplaint, now.Year(), rand.Reader)
	id := a.ids.New()
	salt, sealed := make([]byte, 32), make([]byte, 600)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(sealed)
	ev := func(typ string) casefile.Event {
		return casefile.Event{ID: a.ids.New(), CaseID: id, Type: typ, At: now, Actor: "citizen", Visible: true, Data: map[string]string{"unit": unitID}}
	}
	return complaint.Submission{
		Case: casefile.Case{ID: id, Ref: ref.String(), Kind: caseref.PreComplaint, Category: "theft", Status: casefile.StatusSubmitted,
			UnitID: unitID, CreatedAt: now, SubmittedAt: now, UpdatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)},
		Secrets:  casefile.Secrets{TrackingHash: salt, LedgerSalt: salt},
		Personal: casefile.Sealed{WrappedKey: sealed[:60], Ciphertext: sealed[60:]},
		Events:   []casefile.Event{ev(casefile.EventSubmitted), ev(casefile.EventAppointmentCancelled)},
	}
}
