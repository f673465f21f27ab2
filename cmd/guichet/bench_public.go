package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/verifier"
)

// The public pages' figures: the checker against a million published
// keys, the statistics page over a year of a million cases (SQLite).

type publishedSeeder interface {
	GenerateSyntheticPublished(ctx context.Context, n int, start time.Time, span time.Duration) error
	KeyDegree(ctx context.Context, key string) (int, error)
}

type casesSeeder interface {
	GenerateSyntheticCases(ctx context.Context, n int, start time.Time, span time.Duration, unitIDs []string) error
}

// pubLatencies prints "p50 … p99 … max …" of ds.
func pubLatencies(ds []time.Duration) (p50, p99 time.Duration, s string) {
	x := slices.Clone(ds)
	slices.Sort(x)
	at := func(q float64) time.Duration { return x[min(len(x)-1, int(q*float64(len(x))))] }
	r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
	return at(0.5), at(0.99), fmt.Sprintf("p50 %s  p99 %s  max %s  (%d)", r(at(0.5)), r(at(0.99)), r(x[len(x)-1]), len(x))
}

func benchVerifier(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench verifier", "Measure one check of the public checker against N published keys.", stderr)
	database := fs.String("database", "", "database `url` holding no case (default: SQLite in a temporary directory)")
	keys := fs.Int("keys", 1_000_000, "published keys seeded (each of one report; one in eight reports also shares a key with seven others)")
	n := fs.Int("n", 20000, "checks measured (after as many not measured, to warm up)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keys < 8 || *n < 1 {
		return usageError{"bench verifier: --keys must be ≥ 8 and -n positive"}
	}
	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	seed, ok := a.store.(publishedSeeder)
	if !ok {
		return fmt.Errorf("bench verifier: store %s cannot seed synthetic keys", a.dialect())
	}
	fmt.Fprintf(stdout, "bench verifier: store %s, %d published keys (+%d shared by 8 reports), %d checks, one value each\n", a.dialect(), *keys, (*keys+7)/8, *n)
	start := time.Now()
	if err := seed.GenerateSyntheticPublished(ctx, *keys, time.Now().AddDate(-1, 0, 0), 365*24*time.Hour); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  seeded in %s\n", time.Since(start).Round(time.Millisecond))
	svc := verifier.New(verifier.Deps{Store: a.store})
	r := rand.New(rand.NewPCG(15, 2))
	typed := func(i int) (string, string) {
		j := r.IntN(*keys)
		switch i % 3 {
		case 0:
			return fmt.Sprintf("06 %08d", j), fmt.Sprintf("phone:+336%08d", j) // its own key, typed as a French number
		case 1:
			return fmt.Sprintf("https://scam-%d.example/", j/8), fmt.Sprintf("url:https://scam-%d.example/", j/8)
		}
		return fmt.Sprintf("06 5%07d", j%10_000_000), fmt.Sprintf("phone:+3365%07d", j%10_000_000) // unknown (seeded keys are below 06 0x)
	}
	// Warm up: as many checks again, not measured, so that the figure is
	// the steady state of a server whose database pages are in memory,
	// not the first reads from disk after seeding.
	for i := range *n {
		in, _ := typed(i)
		if _, err := svc.Check(ctx, in); err != nil {
			return err
		}
	}
	var floor, lookup, check []time.Duration
	for i := range *n {
		in, key := typed(i)
		t0 := time.Now()
		if _, err := seed.KeyDegree(ctx, key); err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := a.store.CheckKeys(ctx, []string{key}); err != nil {
			return err
		}
		t2 := time.Now()
		res, err := svc.Check(ctx, in)
		if err != nil {
			return err
		}
		t3 := time.Now()
		if i < 3 && (len(res.Answers) != 1 || (i%3 < 2) != (res.Answers[0].Verdict == verifier.Reported)) {
			return fmt.Errorf("bench verifier: %q answered %+v", in, res.Answers)
		}
		floor, lookup, check = append(floor, t1.Sub(t0)), append(lookup, t2.Sub(t1)), append(check, t3.Sub(t2))
	}
	_, f99, fs1 := pubLatencies(floor)
	_, l99, ls := pubLatencies(lookup)
	_, c99, cs := pubLatencies(check)
	fmt.Fprintf(stdout, "  floor (one primary-key SELECT of the key's degree): %s\n", fs1)
	fmt.Fprintf(stdout, "  store lookup (CheckKeys: known-good + published with first/last report): %s  = ×%.1f the floor at p99\n", ls, float64(l99)/float64(f99))
	fmt.Fprintf(stdout, "  whole check (harmonise the typed value + lookup): %s  = ×%.1f the floor at p99\n", cs, float64(c99)/float64(f99))
	verdict := "meets"
	if c99 >= 2*time.Millisecond {
		verdict = "MISSES"
	}
	fmt.Fprintf(stdout, "  target p99 < 2ms for one check: %s\n", verdict)
	return nil
}

func benchStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench stats", "Measure the statistics page over a year of N cases (SQLite).", stderr)
	cases := fs.Int("cases", 1_000_000, "cases seeded over the last 365 days (7/10 reports, 3/10 pre-complaints, 1/500 alerts)")
	n := fs.Int("n", 200, "page loads measured once cached")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cases < 1 || *n < 1 {
		return usageError{"bench stats: --cases and -n must be positive"}
	}
	a, cleanup, err := benchApp(ctx, "")
	if err != nil {
		return err
	}
	defer cleanup()
	seed, ok := a.store.(casesSeeder)
	if !ok {
		return fmt.Errorf("bench stats: store %s cannot seed synthetic cases", a.dialect())
	}
	var units []string
	for _, u := range demo.Units {
		u.ID = a.ids.New()
		if err := a.store.CreateUnit(ctx, u); err != nil {
			return err
		}
		units = append(units, u.ID)
	}
	fmt.Fprintf(stdout, "bench stats: store %s, %d cases over 365 days, %d units\n", a.dialect(), *cases, len(units))
	start := time.Now()
	now := time.Now()
	if err := seed.GenerateSyntheticCases(ctx, *cases, now.AddDate(0, 0, -365), 365*24*time.Hour, units); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  seeded in %s\n", time.Since(start).Round(time.Millisecond))

	// The parts of one computation, uncached.
	to := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 7)
	from := to.AddDate(0, 0, -7*stats.Weeks)
	t0 := time.Now()
	raw, err := a.store.StatsCounts(ctx, from, to)
	if err != nil {
		return err
	}
	t1 := time.Now()
	pub, err := stats.Build(raw, from, now)
	if err != nil {
		return err
	}
	t2 := time.Now()
	fmt.Fprintf(stdout, "  counting (the store's grouped queries): %s; suppression of %d tables: %s\n",
		t1.Sub(t0).Round(time.Millisecond), 3+len(pub.Categories), t2.Sub(t1).Round(time.Millisecond))

	base, stop, err := serveOn(ctx, a.web.Handler())
	if err != nil {
		return err
	}
	defer stop()
	get := func(path string) (time.Duration, int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, 0, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return time.Since(t), len(b), err
	}
	cold, size, err := get("/statistiques")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  page, first load (count + suppress + render, %d KiB): %s\n", size>>10, cold.Round(time.Millisecond))
	var warm, floor []time.Duration
	for range *n {
		d, _, err := get("/statistiques")
		if err != nil {
			return err
		}
		warm = append(warm, d)
		d, _, err = get("/healthz")
		if err != nil {
			return err
		}
		floor = append(floor, d)
	}
	_, f99, fs1 := pubLatencies(floor)
	_, w99, ws := pubLatencies(warm)
	fmt.Fprintf(stdout, "  floor (GET /healthz, same server): %s\n", fs1)
	fmt.Fprintf(stdout, "  page, cached tables (render only): %s  = ×%.1f the floor at p99\n", ws, float64(w99)/float64(f99))
	for _, path := range []string{"/statistiques.csv", "/statistiques.json"} {
		d, sz, err := get(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %s (%d KiB): %s\n", path, sz>>10, d.Round(time.Microsecond))
	}
	return nil
}
