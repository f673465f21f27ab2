package e2etest

import (
	"bytes"
	"context"
	"database/sql"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to read the outbox
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

// TestCrashSQLite kills `guichet serve` with SIGKILL at random moments
// while citizens' requests commit events and the sequencer appends them,
// restarts it on the same data directory each time, and checks the log
// against the database after every restart.
func TestCrashSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "guichet.db")
	db := "sqlite://" + path
	seed(t, db)
	crashRounds(t, dir, db, "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)", 14)
}

// TestCrashPostgres is TestCrashSQLite on PostgreSQL.
func TestCrashPostgres(t *testing.T) {
	db := freshDatabase(t)
	seed(t, db)
	crashRounds(t, t.TempDir(), db, "pgx", db, 8)
}

// crashWorkers is how many citizens move their appointment at once; each
// reschedule is one committed event with its outbox leaf.
const crashWorkers = 6

func crashRounds(t *testing.T, dataDir, dbURL, driver, dsn string, rounds int) {
	seedRand := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seedRand)
	rng := rand.New(rand.NewPCG(seedRand, 0))
	dbh, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbh.Close() })

	p := launch(t, dataDir, dbURL)
	// Each worker is a browser that files its own case (its cookie opens
	// that case only) and picks two free slots of its own to move
	// between, so that workers never compete for a place.
	workers := make([]*crashWorker, crashWorkers)
	for i := range workers {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c := &citizen{t: t, base: p.url, c: &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: newSourceTransport()}}
		ref, _ := fileCase(t, c, i)
		workers[i] = &crashWorker{ref: ref, jar: jar}
	}
	for i, w := range workers {
		c := &citizen{t: t, base: p.url, c: &http.Client{Jar: w.jar, Timeout: 10 * time.Second, Transport: newSourceTransport()}}
		free := freeSlots(c, "/suivi/"+w.ref)
		if len(free) < 2*crashWorkers+2 {
			t.Fatalf("only %d free slots", len(free))
		}
		w.slots = [2]string{free[2*i], free[2*i+1]}
	}
	vkey := strings.TrimSpace(newCitizen(t, p.url).get("/log/key").body)
	pol, err := checkpoint.NewPolicy(vkey, nil, 0)
	if err != nil {
		t.Fatalf("/log/key: %v", err)
	}

	var (
		saved      []byte // the checkpoint verified after the previous restart
		acked      int64  // reschedules answered 303: committed, must survive
		tried      int64  // reschedules sent
		sizes      []int64
		reconciled int // restarts that found entries logged but not marked
	)
	for round := range rounds {
		// Load, then SIGKILL at a random moment of it.
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() { w.run(ctx, p.url, &acked, &tried) })
		}
		time.Sleep(time.Duration(80+rng.IntN(600)) * time.Millisecond)
		p.kill()
		stop()
		wg.Wait()

		p = launch(t, dataDir, dbURL)
		rep := checkLogAgainstDB(t, round, p.url, dbh, pol, saved, round == rounds-1)
		saved = rep.Checkpoint.Note
		sizes = append(sizes, rep.Checkpoint.Size)
		if strings.Contains(p.logs.String(), "reconciled entries appended before a crash") {
			reconciled++
		}

		// Acknowledged reschedules were committed; nothing more was
		// committed than was asked.
		var changed int64
		if err := dbh.QueryRowContext(t.Context(), `SELECT count(*) FROM case_events WHERE type = 'appointment.rescheduled'`).Scan(&changed); err != nil {
			t.Fatal(err)
		}
		if a, n := atomic.LoadInt64(&acked), atomic.LoadInt64(&tried); changed < a || changed > n {
			t.Fatalf("round %d: %d reschedules in the database, but %d were acknowledged out of %d sent", round, changed, a, n)
		}
	}
	t.Logf("%d kills: log sizes after each restart %v; %d reschedules acknowledged of %d sent; %d restarts reconciled entries logged but not yet marked in the database",
		rounds, sizes, acked, tried, reconciled)
	if final := sizes[len(sizes)-1]; final < int64(crashWorkers*2+rounds*10) {
		t.Errorf("too little load to mean anything: final log size %d", final)
	}
	p.stop(t)
}

// checkLogAgainstDB waits for the sequencer of the restarted server to
// drain the outbox, then audits the log over HTTP and compares it with
// the database: one entry per committed event, each exactly once, at the
// index the database recorded, and nothing else.
func checkLogAgainstDB(t *testing.T, round int, base string, dbh *sql.DB, pol checkpoint.Policy, saved []byte, full bool) *ledger.LogReport {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pending int64
		if err := dbh.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE log_index IS NULL`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("round %d: %d outbox rows still pending 20 s after restart", round, pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fetch := ledger.HTTPFetcher(&http.Client{Timeout: 10 * time.Second}, base+"/log")
	rep, err := ledger.VerifyLog(ctx, fetch, pol, ledger.AuditOptions{Saved: saved, Full: full})
	if err != nil {
		t.Fatalf("round %d: the log does not verify (or does not extend the previous round's): %v", round, err)
	}
	size := rep.Checkpoint.Size

	var events int64
	if err := dbh.QueryRowContext(ctx, `SELECT count(*) FROM case_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if size != events {
		t.Fatalf("round %d: log size %d, but %d events committed", round, size, events)
	}
	rows, err := dbh.QueryContext(ctx, `SELECT leaf, log_index FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	at := map[int64][]byte{}
	for rows.Next() {
		var leaf []byte
		var idx sql.NullInt64
		if err := rows.Scan(&leaf, &idx); err != nil {
			t.Fatal(err)
		}
		if !idx.Valid || idx.Int64 < 0 || idx.Int64 >= size {
			t.Fatalf("round %d: outbox row with log index %v outside [0, %d)", round, idx, size)
		}
		if _, dup := at[idx.Int64]; dup {
			t.Fatalf("round %d: log index %d given to two outbox rows", round, idx.Int64)
		}
		at[idx.Int64] = leaf
		leaves = append(leaves, leaf)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if int64(len(leaves)) != events {
		t.Fatalf("round %d: %d outbox rows for %d events", round, len(leaves), events)
	}
	entries, err := ledger.FetchEntries(ctx, fetch, size)
	if err != nil {
		t.Fatalf("round %d: entries: %v", round, err)
	}
	for i, e := range entries {
		if !bytes.Equal(at[int64(i)], e) {
			t.Fatalf("round %d: entry %d is not the leaf the database recorded at that index", round, i)
		}
	}
	// The same as multisets: every committed leaf logged exactly once,
	// nothing else logged.
	slices.SortFunc(leaves, bytes.Compare)
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, bytes.Compare)
	if !slices.EqualFunc(leaves, sorted, bytes.Equal) {
		t.Fatalf("round %d: the log's entries and the committed leaves differ as multisets", round)
	}
	return rep
}

// crashWorker is one citizen moving their appointment back and forth.
type crashWorker struct {
	ref   string
	jar   http.CookieJar
	slots [2]string
	n     int
}

// run posts reschedules until ctx ends or the server dies, counting those
// sent and those acknowledged (303).
func (w *crashWorker) run(ctx context.Context, base string, acked, tried *int64) {
	hc := &http.Client{
		Jar: w.jar, Timeout: 5 * time.Second, Transport: newSourceTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for ctx.Err() == nil {
		w.n++
		form := url.Values{"slot_id": {w.slots[w.n%2]}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/suivi/"+w.ref+"/rendez-vous", strings.NewReader(form.Encode()))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		atomic.AddInt64(tried, 1)
		res, err := hc.Do(req)
		if err != nil {
			return // killed: this one may or may not have committed
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusSeeOther:
			if strings.Contains(res.Header.Get("Location"), "ok=deplace") {
				atomic.AddInt64(acked, 1)
			}
		case http.StatusTooManyRequests:
			hc.Transport = newSourceTransport()
		}
	}
}

// sourceIP hands out loopback source addresses 127.1.x.y: the server
// limits requests per client address, and these workers stand for many
// citizens.
var sourceIP atomic.Uint32

func newSourceTransport() *http.Transport {
	n := sourceIP.Add(1)
	ip := net.IPv4(127, 1, byte(n>>8), byte(n))
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 2 * time.Second}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
}
