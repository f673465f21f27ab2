package e2etest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/mod/sumdb/note"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// TestTwoNodes boots two `guichet serve` on one PostgreSQL database and
// one S3-compatible object store (versitygw), holding both the evidence
// (--blob) and the log's tiles (--log-blob), with the same keys. A
// citizen files on node A (the sequencer); an agent signs in on node B
// (which is not) and opens the case;
// the citizen's status page on B lists the access and the log index; the
// log verifies through both nodes. Then, while citizens move their
// appointments on both nodes, the sequencing node is killed (SIGKILL)
// three times, restarted each time; the other node takes over, and every
// committed event is logged exactly once; finally the sequencer's lock
// session is terminated (a network cut) and the node must step down. It
// prints the failover times:
// from the SIGKILL to the first larger checkpoint served by the survivor.
// A third node keeping its log in its own data directory is refused.
func TestTwoNodes(t *testing.T) {
	s3 := startVersityGW(t)
	db := freshDatabase(t)
	masterKey := randHex(t, 32)
	skey, _, err := note.GenerateKey(rand.Reader, "localhost/log") // the origin without --public-url
	if err != nil {
		t.Fatal(err)
	}
	env := append(s3.env,
		"GUICHET_MASTER_KEY="+masterKey, "GUICHET_CODE_KEY="+randHex(t, 32),
		"GUICHET_COOKIE_KEY="+randHex(t, 32), "GUICHET_LOG_KEY="+skey)
	flags := []string{"--blob", s3.bucket("evidence"), "--log-blob", s3.bucket("log")}
	lyon03, agent := seedWithAgents(t, db, masterKey)

	dirs := [2]string{t.TempDir(), t.TempDir()}
	nodes := [2]*server{launchWith(t, dirs[0], db, env, flags...), launchWith(t, dirs[1], db, env, flags...)}
	// B is the node that does not sequence: its pages and /log/ read the
	// shared store.
	h := sequencer(t, nodes[:])
	a, b := nodes[h], nodes[1-h]

	// A third node with its log in its own data directory is refused.
	out, err := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--database", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--log-blob s3://") {
		t.Fatalf("a node with a log of its own started (%v):\n%s", err, out)
	}

	// A citizen files on A.
	ref, code := fileCaseAt(t, newCitizen(t, a.url), 0, lyon03)

	// An agent of the unit signs in on B and opens the case.
	ag := newCitizen(t, b.url)
	p := ag.post("/agent/connexion", url.Values{"agent_login": {agent.ServiceNumber}, "agent_password": {agent.Password}, "retour": {"/agent/"}})
	expect(t, p, http.StatusOK, "/agent/connexion/code")
	otp, err := totp.GenerateCode(agent.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = ag.post("/agent/connexion/code", url.Values{"agent_code": {otp}, "retour": {"/agent/"}})
	if p.status != http.StatusOK || strings.HasPrefix(p.path, "/agent/connexion") {
		t.Fatalf("agent sign-in on B: %d %s\n%s", p.status, p.path, excerpt(p.body))
	}
	p = ag.post("/agent/dossiers/"+ref+"/consulter", url.Values{"purpose": {"processing"}})
	expect(t, p, http.StatusOK, "/agent/dossiers/"+ref+"/consulter")
	has(t, p, "Durand")

	// The citizen, on B: the access is listed, and the submission is in
	// the log (B need not be the sequencer: it reads the shared store).
	cb := newCitizen(t, b.url)
	p = cb.post("/suivi", url.Values{"ref": {ref}, "code": {code}})
	expect(t, p, http.StatusOK, "/suivi/"+ref)
	for deadline := time.Now().Add(15 * time.Second); !logIndexRE.MatchString(p.body) && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p = cb.get("/suivi/" + ref)
	}
	find(t, p, logIndexRE, "the log index on node B")
	has(t, p, "Consulté par")
	if strings.Contains(p.body, "Personne n’a encore consulté") {
		t.Fatal("node B's status page says nobody consulted the case")
	}
	if p := cb.get("/suivi/" + ref + "/recu.json"); p.status != http.StatusOK || !strings.Contains(p.body, `"inclusion_proof"`) {
		t.Fatalf("recu.json on node B: %d\n%s", p.status, excerpt(p.body))
	}
	vkey := strings.TrimSpace(cb.get("/log/key").body)
	for _, n := range nodes {
		verifyLogCmd(t, n.url, vkey)
	}

	// Load on both nodes, and the sequencer killed under it.
	dbh, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer dbh.Close()
	pol, err := checkpoint.NewPolicy(vkey, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	workers := make([]*crashWorker, crashWorkers)
	for i := range workers {
		jar, _ := cookiejar.New(nil)
		c := &citizen{t: t, base: nodes[i%2].url, c: &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: newSourceTransport()}}
		w := &crashWorker{jar: jar}
		w.ref, _ = fileCase(t, c, i+1)
		free := freeSlots(c, "/suivi/"+w.ref)
		if len(free) < 2*crashWorkers+2 {
			t.Fatalf("only %d free slots", len(free))
		}
		w.slots = [2]string{free[2*i], free[2*i+1]}
		workers[i] = w
	}
	var (
		acked, tried int64
		failovers    []time.Duration
		saved        []byte
	)
	const rounds = 4 // three SIGKILLs, then a cut
	for round := range rounds {
		holder := sequencer(t, nodes[:])
		survivor := 1 - holder
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Go(func() {
				// Workers of the killed node move to the survivor, as
				// a load balancer would send them.
				for ctx.Err() == nil {
					n := nodes[i%2]
					if killed(n) {
						n = nodes[survivor]
					}
					w.run(ctx, n.url, &acked, &tried)
				}
			})
		}
		time.Sleep(400 * time.Millisecond)
		cut := round == rounds-1
		if cut {
			// The last round cuts the holder off the database instead:
			// its lock session ends, the process lives on and must stop
			// appending.
			var n int
			if err := dbh.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = $1 AND datname = current_database() AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`,
				postgres.SequencerApplication).Scan(&n); err != nil || n != 1 {
				t.Fatalf("terminate the holder's lock session: %d, %v", n, err)
			}
		} else {
			nodes[holder].kill()
		}
		killedAt := time.Now()
		// What the holder published before it died (the survivor cannot
		// publish within this: it waits out the write window first).
		time.Sleep(150 * time.Millisecond)
		before := servedSize(t, nodes[survivor].url)
		for {
			if servedSize(t, nodes[survivor].url) > before {
				break
			}
			if time.Since(killedAt) > 20*time.Second {
				t.Fatalf("round %d: no new checkpoint on the survivor 20 s after killing the sequencer:\n%s", round, nodes[survivor].logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		failovers = append(failovers, time.Since(killedAt))
		time.Sleep(300 * time.Millisecond) // the survivor sequences under load
		stop()
		wg.Wait()
		if cut {
			if !strings.Contains(nodes[holder].logs.String(), "ledger: no longer the sequencer") {
				t.Fatalf("the node cut off did not step down:\n%s", nodes[holder].logs)
			}
		} else {
			// The killed node comes back, as a candidate.
			nodes[holder] = launchWith(t, dirs[holder], db, env, flags...)
		}
		rep := checkLogAgainstDB(t, round, nodes[survivor].url, dbh, pol, saved, round == rounds-1)
		saved = rep.Checkpoint.Note
		var changed int64
		if err := dbh.QueryRowContext(t.Context(), `SELECT count(*) FROM case_events WHERE type = 'appointment.rescheduled'`).Scan(&changed); err != nil {
			t.Fatal(err)
		}
		if a, n := atomic.LoadInt64(&acked), atomic.LoadInt64(&tried); changed < a || changed > n {
			t.Fatalf("round %d: %d reschedules in the database, but %d were acknowledged out of %d sent", round, changed, a, n)
		}
	}
	for _, n := range nodes {
		verifyLogCmd(t, n.url, vkey)
	}
	if size := servedSize(t, nodes[0].url); size < int64(rounds*20) {
		t.Errorf("too little load to mean anything: log size %d", size)
	}
	ms := make([]string, len(failovers))
	for i, d := range failovers {
		ms[i] = d.Round(time.Millisecond).String()
	}
	t.Logf("sequencer failover (SIGKILL of the holder, 3 times, then its lock session terminated → next checkpoint served by the other node): %s; %d reschedules acknowledged of %d sent",
		strings.Join(ms, ", "), acked, tried)
	for _, n := range nodes {
		n.stop(t)
	}
}

// killed reports whether s has exited.
func killed(s *server) bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// sequencer returns the index of the node holding the sequencer's lease,
// the last one whose log says it was elected, waiting for one.
func sequencer(t *testing.T, nodes []*server) int {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for i, n := range nodes {
			if !killed(n) && strings.Contains(n.logs.String(), "ledger: elected sequencer") {
				return i
			}
		}
	}
	t.Fatal("no node was elected sequencer within 20 s")
	return -1
}

// servedSize is the tree size of the checkpoint the node at base serves.
func servedSize(t *testing.T, base string) int64 {
	t.Helper()
	// From a fresh source address each time: polled often, one address
	// would hit the per-client rate limit.
	tr := newSourceTransport()
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(base + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	var size int64
	if len(lines) < 2 {
		t.Fatalf("checkpoint of %s: %q", base, b)
	}
	if _, err := fmt.Sscan(lines[1], &size); err != nil {
		t.Fatalf("checkpoint of %s: %q", base, b)
	}
	return size
}

// verifyLogCmd runs `guichet verify log --full` against the node at base.
func verifyLogCmd(t *testing.T, base, vkey string) {
	t.Helper()
	out, err := exec.Command(binary(t), "verify", "log", "--url", base+"/log", "--key", vkey, "--full").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK: log localhost/log") {
		t.Fatalf("guichet verify log against %s (%v):\n%s", base, err, out)
	}
}

// seedWithAgents seeds the demo's units and agents (enrolled, their TOTP
// secrets sealed with masterKey as the nodes will read them), and returns
// the ID of CSP-LYON03 and the login of an agent of that unit.
func seedWithAgents(t *testing.T, db, masterKey string) (string, demo.AgentLogin) {
	t.Helper()
	ctx := t.Context()
	s, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := uuid7.New(time.Now, rand.Reader)
	now := time.Now()
	units, err := demo.SeedUnits(ctx, s, ids, now.AddDate(0, 0, -1), now.AddDate(0, 0, 15))
	if err != nil {
		t.Fatal(err)
	}
	key, err := vault.MasterKeyFromEnv(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key, "m1", rand.Reader) // the ID serve gives GUICHET_MASTER_KEY
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(account.DefaultConfig("http://localhost"), account.Deps{Store: s, Vault: v, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := svc.HashPassword(demo.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, logins, _, err := demo.SeedAgents(ctx, s, ids, svc, units, hash)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(units, func(u station.Unit) bool { return u.Code == "CSP-LYON03" })
	j := slices.IndexFunc(logins, func(l demo.AgentLogin) bool { return l.UnitCode == "CSP-LYON03" && l.Role == account.RoleAgent })
	if i < 0 || j < 0 {
		t.Fatal("no CSP-LYON03 or none of its agents in the demo seed")
	}
	return units[i].ID, logins[j]
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// objectStore is a running versitygw: an S3-compatible server on a local
// directory, each bucket a subdirectory.
type objectStore struct {
	endpoint string
	env      []string // the credentials, as the AWS SDK reads them
}

// bucket returns the s3:// URL of a bucket of the store.
func (o *objectStore) bucket(name string) string {
	return "s3://" + name + "?endpoint=" + url.QueryEscape(o.endpoint) + "&use_path_style=true&disable_https=true&region=us-east-1"
}

// startVersityGW starts versitygw (from PATH or ~/go/bin) with the
// buckets evidence and log; without it the test is skipped, or fails when
// GUICHET_REQUIRE_S3=1.
func startVersityGW(t *testing.T) *objectStore {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		if home, _ := os.UserHomeDir(); home != "" {
			if _, err2 := os.Stat(filepath.Join(home, "go", "bin", "versitygw")); err2 == nil {
				bin, err = filepath.Join(home, "go", "bin", "versitygw"), nil
			}
		}
	}
	if err != nil {
		if os.Getenv("GUICHET_REQUIRE_S3") == "1" {
			t.Fatal("GUICHET_REQUIRE_S3=1 but versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
		}
		t.Skip("versitygw not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0); GUICHET_REQUIRE_S3=1 makes this a failure")
	}
	dir := t.TempDir()
	for _, b := range []string{"evidence", "log"} {
		if err := os.Mkdir(filepath.Join(dir, b), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	access, secret := "guichet-test", randHex(t, 16)
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "posix", dir)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s within 15 s:\n%s", addr, logs)
		}
	}
	return &objectStore{endpoint: "http://" + addr, env: []string{"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_REGION=us-east-1"}}
}
