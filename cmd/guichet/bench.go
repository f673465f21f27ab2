package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/station"
)

const benchUsage = `Usage: guichet bench <figure> [flags]

Figures:
  intake   durable pre-complaint submissions per second over HTTP on loopback,
           with latency percentiles (SQLite by default; --database postgres://…)
  case     latency of opening a case page (decrypt + access event), p50/p99
  login    agents' argon2id parameters, hash/verify time (p50/p99), sign-ins per second
  hub      commit → subscriber latency of the event hub (p50/p99) at a steady rate,
           and node A → node B over LISTEN/NOTIFY with --database postgres://…
  arf      ARF feedback reports parsed, and parsed and converted into reports
           (internal/intake), messages per second on one core: the corpus's
           samples and a synthetic mbox of one campaign (--messages 10000)
  alert    silent alert → dispatch console latency over Server-Sent Events
           (1,000 consoles, 200 alerts/s for 30 s) against a bare net/http SSE
           hub in the same run, alerts lost, nearest unit among 5,000, memory
           per SSE connection
  ledger   transparency-log appends per second, inclusion-proof time at 1M and
           10M entries, checkpoint publication latency
  api      durable report intake through the partner API, one report per POST,
           against a bare floor (same run, same clients), and the batch
           endpoint in reports/s (--database postgres://… makes a fresh database)
  verifier one check at /verifier against 1M published keys (SQLite): p50/p99 of
           the store lookup and of the whole check, against a primary-key floor
  stats    the statistics page over a year of 1M cases (SQLite): counting,
           suppression, first load, cached loads against a /healthz floor
  avis     generation time of the public warnings' Atom feed, CAP-in-Atom
           index and one CAP alert, against the store read alone (same run)
  reports  both figures below, with their defaults; or one of them with its flags:
    reports intake     durable report intake through the HTML form (harmonise +
                       match + route + events) against a bare floor of one
                       durable insert per POST, same run, same clients
    reports campaigns  cross-referencing: rebuilding campaigns from scratch for
                       1M reports, index size per million values, matching a new
                       report against the index and filing it with its campaign
                       (p50/p99; --reports 10000000 for 10M values)
`

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return usageError{"bench: no figure given"}
	}
	switch args[0] {
	case "intake":
		return benchIntake(ctx, args[1:], getenv, stdout, stderr)
	case "case":
		return benchCase(ctx, args[1:], stdout, stderr)
	case "login":
		return benchLogin(ctx, args[1:], stdout, stderr)
	case "hub":
		return benchHub(ctx, args[1:], stdout, stderr)
	case "alert":
		return benchAlert(ctx, args[1:], stdout, stderr)
	case "reports":
		return benchReportFigures(ctx, args[1:], stdout, stderr)
	case "arf":
		return benchARF(ctx, args[1:], getenv, stdout, stderr)
	case "api":
		return benchAPI(ctx, args[1:], stdout, stderr)
	case "verifier":
		return benchVerifier(ctx, args[1:], stdout, stderr)
	case "stats":
		return benchStats(ctx, args[1:], stdout, stderr)
	case "avis":
		return benchAvis(ctx, args[1:], stdout, stderr)
	case "ledger":
		return ledger.Bench(ctx, stdout, ledger.BenchOptions{})
	case "-h", "--help", "help":
		fmt.Fprint(stdout, benchUsage)
		return nil
	}
	fmt.Fprint(stderr, benchUsage)
	return usageError{fmt.Sprintf("bench: unknown figure %q", args[0])}
}

// benchIntake measures the last step of the journey — POST
// /preplainte/envoyer — which validates the whole draft, draws the
// reference and tracking code, seals the personal part, books the slot and
// writes the case, its events and their outbox rows in one transaction.
// Drafts are prepared beforehand through the service so that only
// submissions are timed.
func benchIntake(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench intake", "Measure durable pre-complaint submissions per second over HTTP.", stderr)
	database := fs.String("database", "", "database `url` (default: SQLite in a temporary directory)")
	n := fs.Int("n", 4000, "number of submissions")
	conc := fs.Int("concurrency", 16, "concurrent clients")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed submissions to `file`")
	nodes := fs.Int("nodes", 1, "nodes serving on one PostgreSQL database (needs --database postgres://… and --log-blob s3://…); the run then measures one node, then all of them")
	logBlob := fs.String("log-blob", getenv("GUICHET_LOG_BLOB"), "the nodes' shared transparency log `url` (s3://…; credentials from the AWS environment)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nodes > 1 {
		return benchIntakeNodes(ctx, stdout, *database, *logBlob, *nodes, *n, *conc)
	}
	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	u, slot, err := benchUnit(ctx, a, *n+10)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench intake: store %s, %d submissions, %d clients\n", a.dialect(), *n, *conc)
	prep := time.Now()
	codes, err := prepareDrafts(ctx, a.complaints, u.ID, slot.ID, *n, *conc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  prepared %d complete drafts in %s\n", len(codes), time.Since(prep).Round(time.Millisecond))

	base, stopServer, err := a.serveLoopback(ctx)
	if err != nil {
		return err
	}
	defer stopServer()

	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	lat := make([]time.Duration, len(codes))
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range *conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(codes) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := submitOnce(ctx, client, base, codes[i])
				lat[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failures.Load(); f > 0 {
		return fmt.Errorf("bench intake: %d of %d submissions failed; first: %v", f, len(codes), firstErr.Load())
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Fprintf(stdout, "  submissions: %d in %s = %.0f/s\n", len(codes), elapsed.Round(time.Millisecond), float64(len(codes))/elapsed.Seconds())
	fmt.Fprintf(stdout, "  latency: p50 %s  p90 %s  p99 %s  max %s\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	sl, err := a.store.Slot(ctx, slot.ID)
	if err != nil {
		return err
	}
	if sl.Booked != len(codes) {
		return fmt.Errorf("bench intake: %d places booked, want %d", sl.Booked, len(codes))
	}
	fmt.Fprintf(stdout, "  check: %d cases booked in the slot\n", sl.Booked)
	return nil
}

func submitOnce(ctx context.Context, client *http.Client, base string, code caseref.Code) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/preplainte/envoyer", strings.NewReader(url.Values{"consent": {"yes"}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "brouillon", Value: string(code)})
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	// Success shows the confirmation page (200) with the new reference and
	// the tracking code, which is shown only there.
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "PP-") {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// prepareDrafts writes n complete drafts through the service.
func prepareDrafts(ctx context.Context, svc *complaint.Service, unitID, slotID string, n, conc int) ([]caseref.Code, error) {
	f := complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Theft,
		LastName: "Martin", FirstName: "Camille", BirthDate: "1987-04-12", Email: "c.martin@example.fr",
		Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		FactsFrom:     time.Now().Add(-72 * time.Hour).In(complaint.Paris).Format("2006-01-02T15:04"),
		PlacePostcode: "69003", PlaceCity: "Lyon", Description: "Vol de mon téléphone dans le tramway, sans violence.",
		Items:  []complaint.Item{{Kind: "phone", Description: "Smartphone noir", Value: "849"}},
		UnitID: unitID, SlotID: slotID, Consent: true,
	}
	codes := make([]caseref.Code, n)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				code, _, err := svc.StartDraft(ctx, f)
				for _, step := range complaint.Steps {
					if err != nil {
						break
					}
					_, err = svc.SaveStep(ctx, code, step, f, 0)
				}
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				codes[i] = code
			}
		})
	}
	wg.Wait()
	return codes, firstErr
}

// benchApp opens the application on a temporary data directory (SQLite
// there unless database is given), without rate limits, for a benchmark.
// cleanup closes it and removes the directory.
func benchApp(ctx context.Context, database string) (a *app, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "guichet-bench-")
	if err != nil {
		return nil, nil, err
	}
	cfg := config{DataDir: dir, Database: database, LogFormat: "text", noRateLimit: true}
	if err := cfg.finish(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	a, err = openApp(ctx, cfg, func(string) string { return "" }, newLogger(io.Discard, "text"), nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return a, func() { a.Close(); os.RemoveAll(dir) }, nil
}

// dialect names the benchmark's store: sqlite or postgres.
func (a *app) dialect() string { return strings.SplitN(a.cfg.Database, ":", 2)[0] }

// benchUnit creates a unit with one slot two days ahead holding capacity
// places, for a benchmark's pre-complaints.
func benchUnit(ctx context.Context, a *app, capacity int) (station.Unit, station.Slot, error) {
	now := time.Now().UTC()
	u := demo.Units[0]
	u.ID = a.ids.New()
	u.Code = "BENCH-" + u.ID[len(u.ID)-12:] // the random end: the start of a UUIDv7 is the time
	if err := a.store.CreateUnit(ctx, u); err != nil {
		return station.Unit{}, station.Slot{}, err
	}
	slot := station.Slot{ID: a.ids.New(), UnitID: u.ID, Start: now.Add(48 * time.Hour), End: now.Add(48*time.Hour + 30*time.Minute), Capacity: capacity}
	if err := a.store.CreateSlot(ctx, slot); err != nil {
		return station.Unit{}, station.Slot{}, err
	}
	return u, slot, nil
}

// benchReportFigures runs the reports' figures: both with their defaults,
// or the one named with its flags.
func benchReportFigures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "intake":
			return benchReportIntake(ctx, args[1:], stdout, stderr)
		case "campaigns":
			return benchReports(ctx, args[1:], stdout, stderr)
		}
		if !strings.HasPrefix(args[0], "-") {
			return usageError{fmt.Sprintf("bench reports: unknown figure %q (intake or campaigns)", args[0])}
		}
		return usageError{"bench reports: flags go after the figure: reports intake [flags], reports campaigns [flags]"}
	}
	if err := benchReportIntake(ctx, nil, stdout, stderr); err != nil {
		return err
	}
	return benchReports(ctx, nil, stdout, stderr)
}

// serveLoopback serves the app on a free loopback port until the returned
// stop is called (which waits for the server to end), for the benchmarks'
// clients; it returns the server's base URL.
func (a *app) serveLoopback(ctx context.Context) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.serve(srvCtx, ln) }()
	return "http://" + ln.Addr().String(), func() { stop(); <-done }, nil
}
