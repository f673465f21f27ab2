package e2etest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/postgres/pgtest"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
)

// TestServeSQLite files a pre-complaint through `guichet serve` on SQLite.
func TestServeSQLite(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "guichet.db")
	seed(t, db)
	journey(t, startServe(t, dir, db))
}

// TestServePostgres files a pre-complaint through `guichet serve` on
// PostgreSQL, on a fresh database of the test server.
func TestServePostgres(t *testing.T) {
	db := freshDatabase(t)
	seed(t, db)
	journey(t, startServe(t, t.TempDir(), db))
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/guichet once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "guichet-e2etest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "guichet")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/guichet/guichet/cmd/guichet")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/guichet: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freshDatabase creates an empty database on the PostgreSQL test server,
// dropped when t ends, and returns its URL (see pgtest.Database).
func freshDatabase(t *testing.T) string { return pgtest.Database(t, "guichet_e2e") }

// seed creates the demo's units and two weeks of slots in the database at
// db (which it migrates), as an administrator would before opening.
func seed(t *testing.T, db string) {
	t.Helper()
	ctx := t.Context()
	ids := uuid7.New(time.Now, rand.Reader)
	now := time.Now()
	var (
		w          demo.Writer
		closeStore func() error
	)
	if path, ok := strings.CutPrefix(db, "sqlite://"); ok {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		w, closeStore = s, s.Close
	} else {
		s, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		w, closeStore = s, s.Close
	}
	if _, err := demo.SeedUnits(ctx, w, ids, now.AddDate(0, 0, -1), now.AddDate(0, 0, 15)); err != nil {
		t.Fatal(err)
	}
	if err := closeStore(); err != nil {
		t.Fatal(err)
	}
}

// server is a running `guichet serve`.
type server struct {
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer   // stdout and stderr
	done chan struct{} // closed once the process has exited
	err  error         // its exit status, once done
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launch boots `guichet serve --addr 127.0.0.1:0` on db and waits for its
// log line announcing the address. The process is killed, at the latest,
// when t ends.
func launch(t *testing.T, dataDir, db string) *server {
	t.Helper()
	return launchWith(t, dataDir, db, nil)
}

// launchWith is launch with more environment variables (NAME=value) and
// more flags.
func launchWith(t *testing.T, dataDir, db string, env []string, flags ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--database", db, "--log-format", "json"}, flags...)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(append(cleanEnv(), "GUICHET_RETENTION_EVERY=1h"), env...)
	// An os.Pipe, not StderrPipe: Wait must not close it under the reader.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.logs, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			fmt.Fprintln(s.logs, sc.Text())
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Addr != "" && strings.Contains(rec.Msg, "serving") {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
		_, _ = io.Copy(s.logs, r) // after an overlong line: keep draining
	}()
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		t.Fatalf("guichet serve exited before serving (%v):\n%s", s.err, s.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("guichet serve did not announce its address within 30 s:\n%s", s.logs)
	}
	return s
}

// startServe launches `guichet serve`, which is stopped with SIGTERM when t
// ends and must then exit cleanly.
func startServe(t *testing.T, dataDir, db string) *server {
	t.Helper()
	s := launch(t, dataDir, db)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop ends the process with SIGTERM; it must exit cleanly within 25 s.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil {
			t.Errorf("guichet serve did not exit cleanly on SIGTERM: %v\n%s", s.err, s.logs)
		}
	case <-time.After(25 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("guichet serve did not stop within 25 s of SIGTERM:\n%s", s.logs)
	}
}

// cleanEnv is the environment without GUICHET_* settings, so that the
// flags alone configure the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUICHET_") {
			env = append(env, kv)
		}
	}
	return env
}

// citizen is a browser without JavaScript: a cookie jar, form posts, and
// redirects followed.
type citizen struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newCitizen(t *testing.T, base string) *citizen {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &citizen{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// page is a response as read: final path, status and body.
type page struct {
	path   string
	status int
	body   string
}

func (c *citizen) do(req *http.Request) page {
	c.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return page{path: res.Request.URL.RequestURI(), status: res.StatusCode, body: string(b)}
}

func (c *citizen) get(path string) page {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *citizen) post(path string, form url.Values) page {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *citizen) upload(path, field, name string, content []byte) page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// expect fails unless p ended on path with status.
func expect(t *testing.T, p page, status int, path string) {
	t.Helper()
	if p.status != status || strings.SplitN(p.path, "?", 2)[0] != path {
		t.Fatalf("got %d %s, want %d %s; page:\n%s", p.status, p.path, status, path, excerpt(p.body))
	}
}

// excerpt is the main content of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

var (
	versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)
	// A code is shown in groups (spans), with <wbr> between them.
	codeRE = regexp.MustCompile(`class="code"[^>]*>((?:<span class="code-group">[0-9A-Z]{4}</span>-?(?:<wbr>)?){4})</p>`)
	refRE  = regexp.MustCompile(`class="ref"[^>]*>\s*(PP-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\s*<`)
	unitRE = regexp.MustCompile(`name="unit_id" value="([^"]+)"`)
	slotRE = regexp.MustCompile(`name="slot_id" value="([^"]+)"`)
	dayRE  = regexp.MustCompile(`class="day-link" href="([^"]+)"`)
)

// find returns the first submatch of re in p's body, or fails.
func find(t *testing.T, p page, re *regexp.Regexp, what string) string {
	t.Helper()
	m := re.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("%s not found on %s:\n%s", what, p.path, excerpt(p.body))
	}
	return tagRE.ReplaceAllString(html.UnescapeString(m[1]), "")
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// has fails unless p's visible text holds s (apostrophes as typed in the
// catalogue may be typographic).
func has(t *testing.T, p page, s string) {
	t.Helper()
	text := strings.ReplaceAll(html.UnescapeString(p.body), "’", "'")
	if !strings.Contains(text, strings.ReplaceAll(s, "’", "'")) {
		t.Fatalf("%s does not say %q:\n%s", p.path, s, excerpt(p.body))
	}
}

// withVersion adds the draft version read from p to form.
func withVersion(t *testing.T, p page, form url.Values) url.Values {
	t.Helper()
	form.Set("version", find(t, p, versionRE, "the draft version"))
	return form
}

var smallPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// journey files a pre-complaint from the eligibility questions to the
// confirmation, then opens the status page with the reference and code.
func journey(t *testing.T, s *server) {
	c := newCitizen(t, s.url)
	for _, probe := range []string{"/healthz", "/readyz"} {
		if p := c.get(probe); p.status != http.StatusOK {
			t.Fatalf("%s: %d", probe, p.status)
		}
	}

	p := c.post("/preplainte", url.Values{"emergency": {"no"}, "violence": {"no"}, "author_known": {"no"}, "category": {"theft"}})
	expect(t, p, http.StatusOK, "/preplainte/code")
	draftCode := find(t, p, codeRE, "the draft code")

	p = c.get("/preplainte/identite")
	expect(t, p, http.StatusOK, "/preplainte/identite")
	p = c.post("/preplainte/identite", withVersion(t, p, url.Values{
		"action": {"continue"}, "civility": {"mme"}, "last_name": {"Martin"}, "first_name": {"Camille"},
		"birth_date": {"1985-03-27"}, "email": {"camille.martin@exemple.fr"}, "phone": {"06 12 34 56 78"},
		"address": {"12 rue de la République"}, "postcode": {"69003"}, "city": {"Lyon"},
	}))
	expect(t, p, http.StatusOK, "/preplainte/faits")

	from := time.Now().AddDate(0, 0, -3).Format("2006-01-02") + "T14:30"
	p = c.post("/preplainte/faits", withVersion(t, p, url.Values{
		"action": {"continue"}, "facts_from": {from}, "place_postcode": {"69003"}, "place_city": {"Lyon"},
		"description": {"Mon téléphone a été volé dans mon sac pendant le trajet en tramway."},
	}))
	expect(t, p, http.StatusOK, "/preplainte/objets")

	p = c.post("/preplainte/objets", withVersion(t, p, url.Values{
		"action": {"continue"}, "items.0.kind": {"phone"}, "items.0.description": {"Fairphone 5 noir"},
		"items.0.value": {"450"}, "items.0.serial": {"490154203237518"},
	}))
	expect(t, p, http.StatusOK, "/preplainte/preuves")

	// A Windows executable named facture.pdf is refused, a PDF is kept.
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 504)...)
	p = c.upload("/preplainte/preuves/ajouter", "evidence", "facture.pdf", exe)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="f-evidence-error"`) {
		t.Fatalf("disguised executable: got %d on %s, want 422 with the error beside the field:\n%s", p.status, p.path, excerpt(p.body))
	}
	has(t, p, "Ce type de fichier n’est pas accepté")
	p = c.upload("/preplainte/preuves/ajouter", "evidence", "facture.pdf", smallPDF)
	expect(t, p, http.StatusOK, "/preplainte/preuves")
	has(t, p, "facture.pdf")
	p = c.post("/preplainte/preuves", withVersion(t, p, url.Values{"action": {"continue"}}))
	expect(t, p, http.StatusOK, "/preplainte/commissariat")

	unit := find(t, p, unitRE, "a unit to choose")
	p = c.post("/preplainte/commissariat", withVersion(t, p, url.Values{"action": {"choose-unit"}, "unit_id": {unit}, "q": {"69003"}}))
	expect(t, p, http.StatusOK, "/preplainte/commissariat")
	slot := find(t, p, slotRE, "a free slot")
	p = c.post("/preplainte/commissariat", withVersion(t, p, url.Values{"action": {"continue"}, "unit_id": {unit}, "slot_id": {slot}, "q": {"69003"}}))
	expect(t, p, http.StatusOK, "/preplainte/recapitulatif")
	has(t, p, "Camille Martin")

	// Without consent, nothing is sent.
	p = c.post("/preplainte/envoyer", withVersion(t, p, url.Values{"action": {"continue"}}))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="f-consent-error"`) {
		t.Fatalf("no consent: got %d on %s, want 422 with the consent error:\n%s", p.status, p.path, excerpt(p.body))
	}
	p = c.post("/preplainte/envoyer", withVersion(t, p, url.Values{"action": {"continue"}, "consent": {"yes"}}))
	expect(t, p, http.StatusOK, "/preplainte/envoyee")
	ref := find(t, p, refRE, "the reference")
	code := find(t, p, codeRE, "the tracking code")
	if code == draftCode {
		t.Fatal("the tracking code is the draft code")
	}

	// Another browser: the right code opens the case, a wrong one does not.
	other := newCitizen(t, s.url)
	wrong := code[:len(code)-1] + map[bool]string{true: "Y", false: "Z"}[strings.HasSuffix(code, "Z")]
	p = other.post("/suivi", url.Values{"ref": {ref}, "code": {wrong}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `id="f-code-error"`) {
		t.Fatalf("wrong code: got %d on %s, want 401 with the error beside the field:\n%s", p.status, p.path, excerpt(p.body))
	}
	has(t, p, "La référence ou le code de suivi est incorrect.")
	if strings.Contains(p.body, "Martin") {
		t.Fatal("a wrong code shows personal data")
	}
	p = other.post("/suivi", url.Values{"ref": {ref}, "code": {strings.ToLower(code)}})
	expect(t, p, http.StatusOK, "/suivi/"+ref)
	has(t, p, ref)
	has(t, p, "Pré-plainte envoyée")
	if strings.Contains(p.body, code) {
		t.Fatal("the status page shows the tracking code again")
	}
	p = other.get("/suivi/" + ref + "/recu.pdf")
	if p.status != http.StatusOK || !strings.HasPrefix(p.body, "%PDF-") {
		t.Fatalf("receipt: got %d, %q…", p.status, p.body[:min(len(p.body), 20)])
	}

	// The draft is gone once sent.
	p = newCitizen(t, s.url).post("/preplainte/reprendre", url.Values{"draft_code": {draftCode}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="f-draft_code-error"`) {
		t.Fatalf("resuming a sent draft: got %d on %s:\n%s", p.status, p.path, excerpt(p.body))
	}
}

// freeSlots returns the ids of the free slots offered on the page at
// path, over every day it links to: the picker shows one day at a time.
func freeSlots(c *citizen, path string) []string {
	c.t.Helper()
	first := c.get(path)
	expect(c.t, first, http.StatusOK, strings.SplitN(path, "?", 2)[0])
	var ids []string
	seen := map[string]bool{}
	for _, d := range dayRE.FindAllStringSubmatch(first.body, -1) {
		pg := c.get(html.UnescapeString(d[1]))
		for _, m := range slotRE.FindAllStringSubmatch(pg.body, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				ids = append(ids, m[1])
			}
		}
	}
	return ids
}
