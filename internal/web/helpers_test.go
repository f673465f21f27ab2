package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/receipt"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
	"github.com/guichet/guichet/internal/verifier"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running web server on a real complaint service.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	web     *Server
	svc     *complaint.Service
	store   *sqlite.Store
	clock   *testClock
	units   []station.Unit
	logs    *syncBuffer
	dir     string            // the data directory (database, blobs)
	receipt []receipt.Receipt // receipts rendered
	mu      sync.Mutex
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start is Friday 20 November 2026, 9 h in Paris.
var start = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

type envOption func(*Config, *complaint.Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, clock: &testClock{t: start}, logs: &syncBuffer{}}
	ctx := t.Context()
	dir := t.TempDir()
	e.dir = dir
	var err error
	if e.store, err = sqlite.Open(ctx, filepath.Join(dir, "guichet.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	blobs, err := evidence.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	ids := uuid7.New(e.clock.Now, rand.Reader)
	e.seed(ids)
	master := bytes.Repeat([]byte{7}, vault.KeySize)
	v, err := vault.New(master, "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := caseref.NewHasher(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ccfg := complaint.DefaultConfig()
	wcfg := Config{
		PublicURL: "https://guichet.test",
		CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1},
	}
	for _, o := range opts {
		o(&wcfg, &ccfg)
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = complaint.New(ccfg, complaint.Deps{
		Store: e.store, Vault: v, Blobs: blobs, Sniff: evidence.Sniff, Codes: codes,
		Clock: e.clock, Rand: rand.Reader, IDs: ids, Logger: logger,
	})
	e.web, err = New(wcfg, Deps{
		Complaints: e.svc, Logger: logger, Clock: e.clock, Ready: e.store.Ping,
		Reports: report.New(report.Deps{Store: e.store, Vault: v, Digest: e.svc.TrackingDigest, Blobs: blobs, Sniff: evidence.Sniff,
			Clock: e.clock, Rand: rand.Reader, IDs: ids, Logger: logger}),
		Verifier: verifier.New(verifier.Deps{Store: e.store, Clock: e.clock}),
		Stats:    stats.New(stats.Deps{Store: e.store, Clock: e.clock}),
		Receipt: func(_ context.Context, r Receipt) ([]byte, error) {
			e.mu.Lock()
			e.receipt = append(e.receipt, r)
			e.mu.Unlock()
			return receipt.PDF(r)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.web.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// seed creates two units taking appointments with half-hour slots next
// week, and one that does not.
func (e *env) seed(ids *uuid7.Generator) {
	e.units = []station.Unit{
		{ID: ids.New(), Code: "CSP-LYON3", Name: "Commissariat de Lyon 3e", Kind: station.Commissariat, Address: "47 rue de la Part-Dieu",
			Postcode: "69003", City: "Lyon", Lat: 45.76, Lon: 4.85, Phone: "04 78 00 00 00",
			Hours: station.Hours{Desk: station.MustParseSchedule("Mo-Fr 08:30-19:00")}, AcceptsAppointments: true},
		{ID: ids.New(), Code: "BTA-VILLEURBANNE", Name: "Brigade de Villeurbanne", Kind: station.Brigade, Address: "1 place Lazare-Goujon",
			Postcode: "69100", City: "Villeurbanne", Lat: 45.77, Lon: 4.88, Hours: station.Hours{Desk: station.Schedule{Always: true}}, AcceptsAppointments: true},
	}
	ctx := e.t.Context()
	for _, u := range e.units {
		if err := e.store.CreateUnit(ctx, u); err != nil {
			e.t.Fatal(err)
		}
		for d := 3; d < 8; d++ { // Monday 23 to Friday 27 November
			for h := 0; h < 4; h++ {
				s := start.AddDate(0, 0, d).Add(time.Duration(h) * 30 * time.Minute)
				sl := station.Slot{ID: ids.New(), UnitID: u.ID, Start: s, End: s.Add(30 * time.Minute), Capacity: 2}
				if err := e.store.CreateSlot(ctx, sl); err != nil {
					e.t.Fatal(err)
				}
			}
		}
	}
}

// client is a browser: it keeps cookies and follows redirects.
type client struct {
	e    *env
	t    *testing.T
	http *http.Client
	lang string // Accept-Language
}

type langTransport struct {
	lang string
	base http.RoundTripper
}

func (l langTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if l.lang != "" {
		r.Header.Set("Accept-Language", l.lang)
	}
	return l.base.RoundTrip(r)
}

func (e *env) client(acceptLang string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, t: e.t, lang: acceptLang, http: &http.Client{
		Jar: jar, Transport: langTransport{lang: acceptLang, base: http.DefaultTransport},
	}}
}

// noRedirect returns a copy of c that stops at redirects.
func (c *client) noRedirect() *client {
	cp := *c
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cp.http = &h
	return &cp
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	Body string
	Path string // final path and query
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	r, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{Response: r, Body: string(b), Path: r.Request.URL.RequestURI()}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) upload(name string, data []byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("evidence", name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+"/preplainte/preuves/ajouter", &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// must checks a response's status and that its body holds every want.
func (r resp) must(t *testing.T, status int, wants ...string) resp {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Path, r.StatusCode, status, excerpt(r.Body))
	}
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("%s %s: body lacks %q\n%s", r.Request.Method, r.Path, w, excerpt(r.Body))
		}
	}
	return r
}

// lacks checks the body holds none of the strings.
func (r resp) lacks(t *testing.T, nots ...string) resp {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(r.Body, n) {
			t.Fatalf("%s %s: body holds %q", r.Request.Method, r.Path, n)
		}
	}
	return r
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// answers are eligible answers for a theft.
func answers() url.Values {
	return url.Values{"emergency": {"no"}, "violence": {"no"}, "author_known": {"no"}, "category": {"theft"}}
}

func identity() url.Values {
	return url.Values{
		"civility": {"mme"}, "last_name": {"Martin"}, "first_name": {"Léa"}, "birth_date": {"1985-03-27"},
		"birth_place": {"Lyon"}, "email": {"lea.martin@example.fr"}, "phone": {"06 12 34 56 78"},
		"address": {"12 rue de la République"}, "postcode": {"69002"}, "city": {"Lyon"},
	}
}

func facts() url.Values {
	return url.Values{
		"facts_from": {"2026-11-18T14:30"}, "place_address": {"Place Bellecour"}, "place_postcode": {"69002"},
		"place_city": {"Lyon"}, "description": {"Mon téléphone a été volé dans mon sac à la terrasse d'un café."},
	}
}

func items() url.Values {
	return url.Values{
		"items.0.kind": {"phone"}, "items.0.description": {"Fairphone 5 noir"}, "items.0.value": {"450"},
		"items.0.serial": {"490154203237518"},
	}
}

var (
	refRE  = regexp.MustCompile(`<p class="ref">(PP-[0-9A-Z-]+)</p>`)
	codeRE = codePattern{regexp.MustCompile(`<p class="code" id="tracking-code">(.*?)</p>`)}
	slotRE = regexp.MustCompile(`name="slot_id" value="([^"]+)"`)
	unitRE = regexp.MustCompile(`name="unit_id" value="([^"]+)"`)
)

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// fileDraft starts a draft and fills every step up to the review page.
func (c *client) fileDraft() {
	c.t.Helper()
	c.post("/preplainte", answers()).must(c.t, 200)
	c.post("/preplainte/identite", identity()).must(c.t, 200)
	c.post("/preplainte/faits", facts()).must(c.t, 200)
	c.post("/preplainte/objets", items()).must(c.t, 200)
	c.post("/preplainte/preuves", url.Values{}).must(c.t, 200)
	r := c.post("/preplainte/commissariat", url.Values{"unit_id": {c.e.units[0].ID}, "action": {"choose-unit"}}).must(c.t, 200)
	m := slotRE.FindStringSubmatch(r.Body)
	if m == nil {
		c.t.Fatalf("no slot offered:\n%s", excerpt(r.Body))
	}
	r = c.post("/preplainte/commissariat", url.Values{"unit_id": {c.e.units[0].ID}, "slot_id": {m[1]}}).must(c.t, 200)
	if r.Path != "/preplainte/recapitulatif" {
		c.t.Fatalf("after station: at %s", r.Path)
	}
}

// submit files a whole pre-complaint and returns its reference and
// tracking code.
func (c *client) submit() (ref, code string) {
	c.t.Helper()
	c.fileDraft()
	r := c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(c.t, 200)
	rm, cm := refRE.FindStringSubmatch(r.Body), codeRE.FindStringSubmatch(r.Body)
	if rm == nil || cm == nil {
		c.t.Fatalf("no reference or code on the confirmation:\n%s", excerpt(r.Body))
	}
	return rm[1], cm[1]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func regexp1(t *testing.T, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s", re)
	}
	return m[1]
}

// codePattern finds a secret code on a page, shown as groups of four in
// no-wrap spans, and gives it back as typed: submatch 1 is the code.
type codePattern struct{ re *regexp.Regexp }

var codeShapeRE = regexp.MustCompile(`^[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}$`)

func (p codePattern) FindStringSubmatch(body string) []string {
	m := p.re.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	code := tagRE.ReplaceAllString(m[1], "")
	if !codeShapeRE.MatchString(code) {
		return nil
	}
	return []string{m[0], code}
}
