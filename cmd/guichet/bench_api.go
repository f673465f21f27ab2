package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/partner"
)

// benchAPI measures durable report intake through the partner API — one
// report per POST /api/v1/reports, authenticated by a bearer token, with
// the whole pipeline (validate, harmonise, deduplicate, seal, route, link
// into campaigns, events and outbox rows) committed before the answer —
// against the bare floor measured in the same run with the same clients
// (startFloor: net/http and one durable insert per POST), then the batch
// endpoint in reports a second, and what counting token uses costs.
func benchAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench api", "Measure report intake through the partner API against a bare floor, and the batch endpoint.", stderr)
	database := fs.String("database", "", "PostgreSQL `url` (a fresh database is created in it for the run; default: SQLite in a temporary directory)")
	n := fs.Int("n", 2000, "reports posted one by one")
	conc := fs.Int("concurrency", 16, "concurrent clients")
	batches := fs.Int("batches", 1, "batches of --batch-size reports posted one after the other")
	size := fs.Int("batch-size", 10000, "reports a batch")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the reports posted one by one to `file`")
	batchProfile := fs.String("batch-cpuprofile", "", "write a CPU profile of the batches to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, base, iss, cleanup, err := benchPartner(ctx, *database, "Bench", partner.ScopeReportsWrite, partner.ScopeReportsRead)
	if err != nil {
		return err
	}
	defer cleanup()
	dbURL := a.cfg.Database
	if a.dialect() != "postgres" {
		dbURL = ""
	}
	fmt.Fprintf(stdout, "bench api: store %s, %d reports one per POST, %d clients; %d batches of %d\n", a.dialect(), *n, *conc, *batches, *size)
	client := benchClient(*conc)

	// Phishing SMS of a few campaigns, each message its own (no
	// duplicate), as the HTML form's figure posts.
	run := time.Now().UnixNano()
	bodies := make([][]byte, *n)
	for i := range bodies {
		bodies[i] = apiReport(run, i)
	}
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + iss.Secret}}
	stopProfile, err := startProfile(*cpuprofile)
	if err != nil {
		return err
	}
	full, err := timeRequests(ctx, client, base+"/api/v1/reports", bodies, hdr, *conc, http.StatusCreated)
	stopProfile()
	if err != nil {
		return fmt.Errorf("api intake: %w", err)
	}
	floorURL, closeFloor, err := startFloor(ctx, a.dialect(), dbURL)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	defer closeFloor()
	floor, err := timeRequests(ctx, client, floorURL, bodies, http.Header{"Content-Type": {"application/json"}}, *conc, http.StatusNoContent)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Fprintf(stdout, "  floor (net/http + one durable insert per POST):   %.0f/s, %s\n", floor.rate, percentiles(floor.lat))
	fmt.Fprintf(stdout, "  API, one report per POST (token, dedup, route…): %.0f/s, %s\n", full.rate, percentiles(full.lat))
	fmt.Fprintf(stdout, "  ratio to the floor: ×%.2f (goal ≥ ×0.50)\n", full.rate/floor.rate)

	// Batches: NDJSON, one transaction each, under an Idempotency-Key;
	// the server's write timeout (2 min) bounds each.
	batchClient := &http.Client{Timeout: 3 * time.Minute}
	stopProfile, err = startProfile(*batchProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	for b := range *batches {
		var body bytes.Buffer
		for i := range *size {
			body.Write(apiReport(run, *n+b**size+i))
			body.WriteByte('\n')
		}
		key := make([]byte, 8)
		rand.Read(key)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/reports/batch", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+iss.Secret)
		req.Header.Set("Idempotency-Key", "bench-"+hex.EncodeToString(key))
		t0 := time.Now()
		resp, err := batchClient.Do(req)
		if err != nil {
			return fmt.Errorf("batch: %w", err)
		}
		var ans struct{ Filed, Duplicates, Refused int }
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		el := time.Since(t0)
		if err != nil || resp.StatusCode != http.StatusOK || ans.Filed != *size {
			return fmt.Errorf("batch: status %d, %+v, %v", resp.StatusCode, ans, err)
		}
		fmt.Fprintf(stdout, "  batch %d: %d reports (%.1f MB NDJSON) in %s: %.0f reports/s (goal ≥ 10000/s)\n",
			b+1, *size, float64(body.Len())/1e6, el.Round(time.Millisecond), float64(*size)/el.Seconds())
	}

	// Token uses: counted in memory and flushed in one transaction,
	// against what one UPDATE per request would cost.
	const m = 500
	t0 := time.Now()
	for range m {
		if _, err := a.partners.Authenticate(ctx, iss.Secret); err != nil {
			return err
		}
	}
	auth := time.Since(t0) / m
	t0 = time.Now()
	if err := a.partners.Flush(ctx); err != nil {
		return err
	}
	flush := time.Since(t0)
	t0 = time.Now()
	for range m {
		if err := a.store.AddTokenUses(ctx, map[string]partner.Use{iss.Token.ID: {N: 1, Last: time.Now()}}); err != nil {
			return err
		}
	}
	each := time.Since(t0) / m
	fmt.Fprintf(stdout, "  token lookup per request: %s; counting uses: one flush of %d uses %s, against %s for one durable UPDATE per request\n",
		auth.Round(time.Microsecond), m, flush.Round(time.Microsecond), each.Round(time.Microsecond))
	return nil
}

// startProfile starts a CPU profile written to file, if one is named, and
// returns how to stop it.
func startProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchPartner opens the application on a fresh store (a fresh database
// in the PostgreSQL server database names; SQLite when it is empty),
// creates a partner holding scopes with a token of the highest rate, and
// serves the application on a loopback port. cleanup stops and removes
// everything.
func benchPartner(ctx context.Context, database, name string, scopes ...partner.Scope) (a *app, base string, iss partner.Issued, cleanup func(), err error) {
	var undo []func()
	cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	if database != "" {
		fresh, drop, err := freshPostgres(ctx, database)
		if err != nil {
			return nil, "", iss, nil, err
		}
		undo = append(undo, drop)
		database = fresh
	}
	a, closeApp, err := benchApp(ctx, database)
	if err != nil {
		return nil, "", iss, nil, err
	}
	undo = append(undo, closeApp)
	p, err := a.partners.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: name, Kind: partner.KindObservatory, Scopes: scopes})
	if err != nil {
		return nil, "", iss, nil, err
	}
	iss, err = a.partners.CreateToken(ctx, partner.CommandLine, p.ID, partner.NewToken{Rate: partner.MaxRate})
	if err != nil {
		return nil, "", iss, nil, err
	}
	base, stop, err := a.serveLoopback(ctx)
	if err != nil {
		return nil, "", iss, nil, err
	}
	undo = append(undo, stop)
	return a, base, iss, cleanup, nil
}

// apiReport is report i of a run: a phishing SMS of one of 20 campaigns,
// its text unique.
func apiReport(run int64, i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"category": "phishing", "victim": "no", "description": "Reçu ce matin sur mon téléphone.",
		"external_id": fmt.Sprintf("bench-%d-%d", run, i),
		"seen": []map[string]string{{"channel": "sms", "value": fmt.Sprintf(
			"Votre colis est bloqué, payez les frais : https://lnk%d.example/c%d puis appelez le 01 99 00 %02d %02d (réf. %d-%d)",
			i%20, i%50, i%100, (i/100)%100, run%100000, i)}},
	})
	return b
}

// freshPostgres creates an empty database beside the one dbURL names, and
// returns its URL and how to drop it.
func freshPostgres(ctx context.Context, dbURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	name := fmt.Sprintf("guichet_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("bench: create database: %w", err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.WithoutCancel(ctx))
	}, nil
}
