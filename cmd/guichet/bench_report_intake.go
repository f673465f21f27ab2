package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the floor's SQLite
)

// benchReportIntake measures durable report intake through the public
// HTML form — POST /signaler/signalement, which harmonises the values,
// matches them against the other reports, routes the report by the rules
// and writes the case, its values, routes, events and outbox rows in one
// transaction — against a bare floor measured in the same run with the
// same number of clients: net/http and one insert per POST, durable the
// same way (SQLite with WAL and synchronous=FULL; on PostgreSQL, one
// INSERT committed per POST). Proofs of work are solved before the timed
// part, as a reporter's browser does while they type.
func benchReportIntake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench reports", "Measure durable report intake through the HTML form against a bare floor.", stderr)
	database := fs.String("database", "", "database `url` (default: SQLite in a temporary directory)")
	n := fs.Int("n", 2000, "number of reports")
	conc := fs.Int("concurrency", 16, "concurrent clients")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed reports to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "bench reports: intake through the HTML form, store %s, %d reports, %d clients\n", a.dialect(), *n, *conc)

	base, stopServer, err := a.serveLoopback(ctx)
	if err != nil {
		return err
	}
	defer stopServer()
	client := benchClient(*conc)

	prep := time.Now()
	forms, err := reportForms(ctx, client, base, *n, *conc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  prepared %d reports with their proofs of work in %s\n", len(forms), time.Since(prep).Round(time.Millisecond))
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
	full, err := timePosts(ctx, client, base+"/signaler/signalement", forms, *conc, http.StatusSeeOther)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("report intake: %w", err)
	}

	floorURL, closeFloor, err := startFloor(ctx, a.dialect(), *database)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	defer closeFloor()
	floor, err := timePosts(ctx, client, floorURL, forms, *conc, http.StatusNoContent)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Fprintf(stdout, "  floor (net/http + one durable insert per POST): %.0f/s, %s\n", floor.rate, percentiles(floor.lat))
	fmt.Fprintf(stdout, "  reports (harmonise + match + route + events):  %.0f/s, %s\n", full.rate, percentiles(full.lat))
	fmt.Fprintf(stdout, "  ratio to the floor: ×%.2f (goal ≥ ×0.50)\n", full.rate/floor.rate)
	return nil
}

func benchClient(conc int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

var benchChallengeRE = regexp.MustCompile(`name="pow_challenge" value="([^"]+)"`)

// reportForms fetches n forms and solves their challenges: phishing SMS
// reports of a few campaigns, so that matching finds other reports.
func reportForms(ctx context.Context, client *http.Client, base string, n, conc int) ([]url.Values, error) {
	out := make([]url.Values, n)
	var (
		next  atomic.Int64
		first atomic.Value
		wg    sync.WaitGroup
	)
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil || first.Load() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/signaler/signalement?categorie=phishing", nil)
				resp, err := client.Do(req)
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				m := benchChallengeRE.FindSubmatch(body)
				if m == nil {
					first.CompareAndSwap(nil, fmt.Errorf("no challenge on the form (%d)", resp.StatusCode))
					return
				}
				ch := string(m[1])
				out[i] = url.Values{
					"categorie": {"phishing"}, "action": {"envoyer"}, "vu.0.canal": {"sms"}, "victime": {"no"},
					"vu.0.valeur": {fmt.Sprintf("Votre colis est bloqué, payez les frais : https://lnk%d.example/c%d puis appelez le 01 99 00 %02d %02d",
						i%20, i%50, i%100, (i/100)%100)},
					"recit":         {"Reçu ce matin sur mon téléphone."},
					"pow_challenge": {ch}, "pow_nonce": {solvePoW(ch)},
				}
			}
		})
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// solvePoW finds the nonce of a challenge, as the browser's pow.js does.
func solvePoW(challenge string) string {
	for n := 0; ; n++ {
		s := strconv.Itoa(n)
		sum := sha256.Sum256([]byte(challenge + ":" + s))
		z := 0
		for _, b := range sum {
			if b != 0 {
				z += bits.LeadingZeros8(b)
				break
			}
			z += 8
		}
		if z >= 16 {
			return s
		}
	}
}

type postRun struct {
	rate float64
	lat  []time.Duration
}

// timePosts posts every form with conc clients and times each.
func timePosts(ctx context.Context, client *http.Client, target string, forms []url.Values, conc, want int) (postRun, error) {
	bodies := make([][]byte, len(forms))
	for i, f := range forms {
		bodies[i] = []byte(f.Encode())
	}
	return timeRequests(ctx, client, target, bodies, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, conc, want)
}

// timeRequests posts every body with header, with conc clients, and
// times each; every answer MUST have status want.
func timeRequests(ctx context.Context, client *http.Client, target string, bodies [][]byte, header http.Header, conc, want int) (postRun, error) {
	lat := make([]time.Duration, len(bodies))
	var (
		next  atomic.Int64
		first atomic.Value
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(bodies[i]))
				for k, v := range header {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want {
						err = fmt.Errorf("status %d, want %d", resp.StatusCode, want)
					}
				}
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	total := time.Since(start)
	if err, _ := first.Load().(error); err != nil {
		return postRun{}, err
	}
	return postRun{rate: float64(len(bodies)) / total.Seconds(), lat: slices.DeleteFunc(lat, func(d time.Duration) bool { return d == 0 })}, ctx.Err()
}

// startFloor serves the bare floor: parse the form, one durable insert,
// 204. On SQLite it uses a database of its own with the store's
// durability (WAL, synchronous=FULL); on PostgreSQL a table of its own in
// the same database.
func startFloor(ctx context.Context, dialect, database string) (string, func(), error) {
	var (
		insert  func(ctx context.Context, id, body string) error
		closeDB func()
	)
	switch dialect {
	case "postgres":
		pool, err := pgxpool.New(ctx, database)
		if err != nil {
			return "", nil, err
		}
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_floor; CREATE TABLE bench_floor (id text PRIMARY KEY, body text NOT NULL)`); err != nil {
			pool.Close()
			return "", nil, err
		}
		insert = func(ctx context.Context, id, body string) error {
			_, err := pool.Exec(ctx, `INSERT INTO bench_floor (id, body) VALUES ($1, $2)`, id, body)
			return err
		}
		closeDB = func() { pool.Exec(context.Background(), `DROP TABLE IF EXISTS bench_floor`); pool.Close() }
	default:
		dir, err := os.MkdirTemp("", "guichet-floor-")
		if err != nil {
			return "", nil, err
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, `CREATE TABLE floor (id TEXT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
			db.Close()
			os.RemoveAll(dir)
			return "", nil, err
		}
		var mode string
		if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil || mode != "2" {
			db.Close()
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("floor: synchronous is %q, want FULL (2): %v", mode, err)
		}
		insert = func(ctx context.Context, id, body string) error {
			_, err := db.ExecContext(ctx, `INSERT INTO floor (id, body) VALUES (?, ?)`, id, body)
			return err
		}
		closeDB = func() { db.Close(); os.RemoveAll(dir) }
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeDB()
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A form is parsed (the HTML form's floor), any other body read
		// whole (the API's).
		var body string
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = r.PostForm.Encode()
		} else {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = string(b)
		}
		var id [16]byte
		rand.Read(id[:])
		if err := insert(r.Context(), hex.EncodeToString(id[:]), body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() {
		if err := srv.Shutdown(context.Background()); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.Close()
		}
		closeDB()
	}, nil
}
