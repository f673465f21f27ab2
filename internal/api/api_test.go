package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/api"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t        *testing.T
	clock    *clock
	reports  *report.Service
	partners *partner.Service
	srv      *httptest.Server
	doc      *openapi
}

// exchanges records every request and answer of every test, for the
// conformance test.
var (
	exMu      sync.Mutex
	exchanges []exchange
)

type exchange struct {
	method, path, ctype string
	reqBody             []byte
	status              int
	header              http.Header
	body                []byte
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, 4<<20)
}

// store is what the API's services need of a store.
type store interface {
	report.Store
	partner.Store
}

// newEnvOn serves the API over st, batches and feeds bounded to maxBody.
func newEnvOn(t *testing.T, st store, maxBody int64) *env {
	t.Helper()
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	ids := uuid7.New(c.Now, rand.Reader)
	e := &env{t: t, clock: c}
	e.reports = report.New(report.Deps{Store: st, Vault: v, Digest: func(c caseref.Code) []byte { return []byte(c) },
		Clock: c, Rand: rand.Reader, IDs: ids})
	e.partners = partner.New(partner.Deps{Store: st, Clock: c, Rand: rand.Reader, IDs: ids})
	a, err := api.New(api.Deps{Partners: e.partners, Reports: e.reports, Clock: c, MaxBatchBody: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(a.Handler())
	t.Cleanup(e.srv.Close)
	e.doc = loadDoc(t)
	return e
}

// partner creates a partner and a token with scopes and rate.
func (e *env) partner(name string, rate int, scopes ...partner.Scope) (partner.Partner, string) {
	e.t.Helper()
	ctx := e.t.Context()
	p, err := e.partners.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: name, Kind: partner.KindObservatory,
		Scopes: []partner.Scope{partner.ScopeReportsWrite, partner.ScopeReportsRead}})
	if err != nil {
		e.t.Fatal(err)
	}
	iss, err := e.partners.CreateToken(ctx, partner.CommandLine, p.ID, partner.NewToken{Scopes: scopes, Rate: rate, TTL: 30 * 24 * time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
	return p, iss.Secret
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %q: %v", r.status, r.body, err)
	}
}

func (r resp) problem(t *testing.T) problem.Details {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("content type %q, want %s (status %d, %s)", ct, problem.ContentType, r.status, r.body)
	}
	var d problem.Details
	r.json(t, &d)
	if d.Status != r.status || d.Type == "" || d.Title == "" {
		t.Fatalf("problem %+v of a %d answer", d, r.status)
	}
	return d
}

// do sends a request with the token (if any) and headers given as
// name, value pairs.
func (e *env) do(method, path, token, ctype string, body []byte, headers ...string) resp {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	exMu.Lock()
	exchanges = append(exchanges, exchange{method: method, path: path, ctype: ctype, reqBody: body, status: res.StatusCode, header: res.Header, body: b})
	exMu.Unlock()
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func sms(text string) map[string]any {
	return map[string]any{"category": "phishing", "seen": []map[string]string{{"channel": "sms", "value": text}}}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (e *env) post(token string, v any) resp {
	e.t.Helper()
	return e.do("POST", "/api/v1/reports", token, "application/json", mustJSON(v))
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

func wantType(t *testing.T, r resp, status int, slug string) problem.Details {
	t.Helper()
	wantStatus(t, r, status)
	d := r.problem(t)
	if d.Type != problem.PathPrefix+slug {
		t.Fatalf("type %q, want %s", d.Type, problem.PathPrefix+slug)
	}
	return d
}

// TestPostAndRead: a report posted is filed, and its sender reads its
// status and routes back; the document is served.
func TestPostAndRead(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Signal Spam", 100)
	r := e.post(tok, map[string]any{"category": "phishing", "seen": []map[string]string{{"value": "https://colis-bloque.example/pay"}, {"value": "06 12 34 56 78"}},
		"seen_on": "2026-03-13", "place": "69003", "description": "Reçu par SMS.", "victim": "no", "external_id": "ss-1", "received_at": "2026-03-14T08:00:00Z"})
	wantStatus(t, r, http.StatusCreated)
	var f api.Filed
	r.json(t, &f)
	if f.Ref == "" || f.Duplicate || f.Count != 1 || r.header.Get("Location") != f.StatusURL {
		t.Fatalf("filed %+v, location %q", f, r.header.Get("Location"))
	}
	g := e.do("GET", f.StatusURL, tok, "", nil)
	wantStatus(t, g, http.StatusOK)
	var out api.ReportOut
	g.json(t, &out)
	if out.Ref != f.Ref || out.Category != "phishing" || out.Count != 1 || len(out.Sources) != 1 || out.Sources[0].ExternalID != "ss-1" ||
		!out.Sources[0].ReceivedAt.Equal(time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("read back %+v", out)
	}
	// The reference as typed in lower case is the same report.
	wantStatus(t, e.do("GET", "/api/v1/reports/"+strings.ToLower(f.Ref), tok, "", nil), http.StatusOK)
	doc := e.do("GET", "/api/openapi.json", "", "", nil)
	wantStatus(t, doc, http.StatusOK)
	if !bytes.Equal(doc.body, api.Document) {
		t.Error("the document served is not the one embedded")
	}
}

// TestScopes: a token does only what its scopes allow.
func TestScopes(t *testing.T) {
	e := newEnv(t)
	_, ro := e.partner("Lecteur", 100, partner.ScopeReportsRead)
	_, wo := e.partner("Émetteur", 100, partner.ScopeReportsWrite)
	d := wantType(t, e.post(ro, sms("Votre colis https://a.example/x")), http.StatusForbidden, "forbidden")
	if d.Detail != "" {
		t.Errorf("detail %q without catalogue", d.Detail)
	}
	wantType(t, e.do("POST", "/api/v1/reports/batch", ro, "application/json", []byte(`[]`)), http.StatusForbidden, "forbidden")
	wantStatus(t, e.post(wo, sms("Votre colis https://a.example/x")), http.StatusCreated)
	wantType(t, e.do("GET", "/api/v1/reports", wo, "", nil), http.StatusForbidden, "forbidden")
	wantType(t, e.do("GET", "/api/v1/reports/SG-2026-AAAA-AAAA", wo, "", nil), http.StatusForbidden, "forbidden")
}

// TestAuthentication: no token, a wrong one, an expired one, a revoked
// one, a disabled partner's: 401 with WWW-Authenticate; a cookie: 400.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	p, tok := e.partner("Signal Spam", 100)
	body := sms("Votre colis https://a.example/x")
	for _, tc := range []struct{ name, token string }{{"none", ""}, {"wrong", "gch_" + strings.Repeat("A", 43)}, {"malformed", "abc"}} {
		r := e.post(tc.token, body)
		wantType(t, r, http.StatusUnauthorized, "unauthenticated")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, r.header.Get("WWW-Authenticate"))
		}
	}
	wantType(t, e.do("POST", "/api/v1/reports", tok, "application/json", mustJSON(body), "Cookie", "session=x"), http.StatusBadRequest, "invalid")
	wantStatus(t, e.post(tok, body), http.StatusCreated)

	// Revocation: refused from the next request on.
	_, toks, err := e.partners.Partner(t.Context(), partner.CommandLine, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.partners.RevokeToken(t.Context(), partner.CommandLine, p.ID, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	wantType(t, e.post(tok, body), http.StatusUnauthorized, "unauthenticated")

	// Expiry.
	_, tok2 := e.partner("Mail Co", 100)
	wantStatus(t, e.do("GET", "/api/v1/reports", tok2, "", nil), http.StatusOK)
	e.clock.add(31 * 24 * time.Hour)
	wantType(t, e.do("GET", "/api/v1/reports", tok2, "", nil), http.StatusUnauthorized, "unauthenticated")

	// A disabled partner's tokens.
	q, tok3 := e.partner("Opérateur", 100)
	wantStatus(t, e.do("GET", "/api/v1/reports", tok3, "", nil), http.StatusOK)
	if err := e.partners.DisablePartner(t.Context(), partner.CommandLine, q.ID); err != nil {
		t.Fatal(err)
	}
	wantType(t, e.do("GET", "/api/v1/reports", tok3, "", nil), http.StatusUnauthorized, "unauthenticated")
}

// TestRotationOverlap: after a rotation both tokens work until the
// overlap ends; then only the new one.
func TestRotationOverlap(t *testing.T) {
	e := newEnv(t)
	p, old := e.partner("Signal Spam", 100)
	_, toks, err := e.partners.Partner(t.Context(), partner.CommandLine, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := e.partners.RotateToken(t.Context(), partner.CommandLine, p.ID, toks[0].ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if iss.Secret == old || !strings.HasPrefix(iss.Secret, partner.TokenPrefix) || len(iss.Secret) < len(partner.TokenPrefix)+43 {
		t.Fatalf("new token %q", iss.Secret)
	}
	wantStatus(t, e.do("GET", "/api/v1/reports", old, "", nil), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/v1/reports", iss.Secret, "", nil), http.StatusOK)
	e.clock.add(61 * time.Minute)
	wantType(t, e.do("GET", "/api/v1/reports", old, "", nil), http.StatusUnauthorized, "unauthenticated")
	wantStatus(t, e.do("GET", "/api/v1/reports", iss.Secret, "", nil), http.StatusOK)
	// A rotated token cannot be rotated again.
	if _, err := e.partners.RotateToken(t.Context(), partner.CommandLine, p.ID, toks[0].ID, time.Hour); err == nil {
		t.Error("an expired token was rotated")
	}
}

// TestRateLimit: a token of 2 requests a minute gets 429 with Retry-After
// at the third, and is served again once the delay has passed; uses are
// counted.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	p, tok := e.partner("Signal Spam", 2)
	wantStatus(t, e.do("GET", "/api/v1/reports", tok, "", nil), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/v1/reports", tok, "", nil), http.StatusOK)
	r := e.do("GET", "/api/v1/reports", tok, "", nil)
	wantType(t, r, http.StatusTooManyRequests, "rate-limited")
	after, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || after < 1 || after > 30 {
		t.Fatalf("Retry-After %q, want 1..30 s", r.header.Get("Retry-After"))
	}
	e.clock.add(time.Duration(after) * time.Second)
	wantStatus(t, e.do("GET", "/api/v1/reports", tok, "", nil), http.StatusOK)
	if err := e.partners.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, toks, err := e.partners.Partner(t.Context(), partner.CommandLine, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if toks[0].Uses != 4 || !toks[0].LastUsedAt.Equal(e.clock.Now()) {
		t.Errorf("uses %d last %v, want 4 at %v", toks[0].Uses, toks[0].LastUsedAt, e.clock.Now())
	}
}

// TestInvalidFields: refused fields are named as the request names them.
func TestInvalidFields(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Signal Spam", 100)
	r := e.post(tok, map[string]any{"category": "nope", "seen": []map[string]string{{"channel": "fax", "value": "x"}}, "seen_on": "hier", "email": "pas une adresse"})
	d := wantType(t, r, http.StatusUnprocessableEntity, "invalid-fields")
	got := map[string]bool{}
	for _, f := range d.Errors {
		got[f.Field] = true
		if f.Key == "" {
			t.Errorf("field %s without key", f.Field)
		}
	}
	for _, f := range []string{"category", "seen.0.channel", "seen_on", "email"} {
		if !got[f] {
			t.Errorf("field %s not named in %+v", f, d.Errors)
		}
	}
	wantType(t, e.do("POST", "/api/v1/reports", tok, "application/json", []byte(`{"category":`)), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/reports", tok, "application/json", []byte(`{"category":"spam","seen":[],"colour":"red"}`)), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/reports", tok, "text/plain", []byte(`{}`)), http.StatusUnsupportedMediaType, "unsupported-media-type")
	big := map[string]any{"category": "spam", "seen": []map[string]string{{"value": "https://a.example/"}}, "description": strings.Repeat("a", api.MaxReportBody)}
	wantType(t, e.post(tok, big), http.StatusRequestEntityTooLarge, "too-large")
	wantType(t, e.do("GET", "/api/v1/nowhere", tok, "", nil), http.StatusNotFound, "not-found")
}

// TestDeduplication: the same message sent many times, by one partner or
// several, is one report with a count and every source; another message
// is another report; each partner reads only reports it is a source of.
func TestDeduplication(t *testing.T) {
	e := newEnv(t)
	_, a := e.partner("Signal Spam", 100)
	_, b := e.partner("Opérateur", 100)
	text := "Votre colis est bloqué : payez 1,99 € sur https://colis-bloque.example/p"
	r1 := e.post(a, sms(text))
	wantStatus(t, r1, http.StatusCreated)
	var f1 api.Filed
	r1.json(t, &f1)
	// The same text with other spacing and case is the same content.
	r2 := e.post(a, sms("  VOTRE colis est bloqué :   payez 1,99 € sur https://colis-bloque.example/p "))
	wantStatus(t, r2, http.StatusOK)
	var f2 api.Filed
	r2.json(t, &f2)
	if !f2.Duplicate || f2.Ref != f1.Ref || f2.Count != 2 {
		t.Fatalf("second %+v, want a duplicate of %s, count 2", f2, f1.Ref)
	}
	// Partner b cannot read it until it reports it too.
	wantType(t, e.do("GET", f1.StatusURL, b, "", nil), http.StatusNotFound, "not-found")
	r3 := e.post(b, sms(text))
	wantStatus(t, r3, http.StatusOK)
	g := e.do("GET", f1.StatusURL, b, "", nil)
	wantStatus(t, g, http.StatusOK)
	var out api.ReportOut
	g.json(t, &out)
	if out.Count != 3 || len(out.Sources) != 1 {
		t.Errorf("b reads count %d, %d sources: want 3 and only its own one", out.Count, len(out.Sources))
	}
	// Another message is another report.
	r4 := e.post(a, sms("Votre colis est bloqué : payez sur https://autre.example/p"))
	wantStatus(t, r4, http.StatusCreated)
	// Unknown and malformed references are not found either.
	wantType(t, e.do("GET", "/api/v1/reports/SG-2026-0000-0000", a, "", nil), http.StatusNotFound, "not-found")
	wantType(t, e.do("GET", "/api/v1/reports/nothing", a, "", nil), http.StatusNotFound, "not-found")
}

func ndjson(items ...any) []byte {
	var b bytes.Buffer
	for _, it := range items {
		switch v := it.(type) {
		case string:
			b.WriteString(v)
		default:
			b.Write(mustJSON(v))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestBatch: good items are filed whatever the bad ones; duplicates in a
// batch join; each refused item says why.
func TestBatch(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Signal Spam", 100)
	body := ndjson(sms("Colis https://a.example/1"), `{"category":`, map[string]any{"category": "nope", "seen": []map[string]string{{"value": "x"}}},
		sms("Colis https://a.example/1"), sms("Colis https://a.example/2"))
	r := e.do("POST", "/api/v1/reports/batch", tok, "application/x-ndjson", body)
	wantStatus(t, r, http.StatusOK)
	var ans api.BatchAnswer
	r.json(t, &ans)
	if ans.Received != 5 || ans.Filed != 2 || ans.Duplicates != 1 || ans.Refused != 2 {
		t.Fatalf("answer %+v", ans)
	}
	st := []string{"filed", "refused", "refused", "duplicate", "filed"}
	for i, it := range ans.Items {
		if it.Index != i || it.Status != st[i] {
			t.Errorf("item %d: %+v, want %s", i, it, st[i])
		}
	}
	if ans.Items[3].Ref != ans.Items[0].Ref || ans.Items[3].Count != 2 {
		t.Errorf("duplicate %+v of %+v", ans.Items[3], ans.Items[0])
	}
	if p := ans.Items[1].Problem; p == nil || p.Status != 400 || p.Type != problem.PathPrefix+"invalid" {
		t.Errorf("malformed item's problem %+v", p)
	}
	if p := ans.Items[2].Problem; p == nil || p.Status != 422 || len(p.Errors) == 0 || p.Errors[0].Field != "category" {
		t.Errorf("invalid item's problem %+v", p)
	}
	// A JSON array the same way.
	arr := mustJSON([]any{sms("Colis https://a.example/3"), map[string]any{"category": "spam"}})
	r = e.do("POST", "/api/v1/reports/batch", tok, "application/json", arr)
	wantStatus(t, r, http.StatusOK)
	r.json(t, &ans)
	if ans.Filed != 1 || ans.Refused != 1 {
		t.Errorf("array answer %+v", ans)
	}
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/json", []byte(`[]`)), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/json", []byte(`[{}`)), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "text/csv", []byte(`a,b`)), http.StatusUnsupportedMediaType, "unsupported-media-type")
	too := bytes.Repeat(append(mustJSON(sms("x https://a.example/")), '\n'), report.MaxBatch+1)
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/x-ndjson", too), http.StatusBadRequest, "invalid")
}

// retried posts body twice under key, checks the second answer is the
// first replayed, and returns it.
func (e *env) retried(path, token, ctype string, body []byte, key string) resp {
	e.t.Helper()
	r1 := e.do("POST", path, token, ctype, body, "Idempotency-Key", key)
	wantStatus(e.t, r1, http.StatusOK)
	r2 := e.do("POST", path, token, ctype, body, "Idempotency-Key", key)
	wantStatus(e.t, r2, http.StatusOK)
	if !bytes.Equal(r1.body, r2.body) || r2.header.Get("Idempotent-Replayed") != "true" {
		e.t.Fatalf("replay %s, want %s", r2.body, r1.body)
	}
	return r2
}

// TestIdempotentRetry: a batch sent twice with one key is stored once and
// answered the same; the key with another body is refused.
func TestIdempotentRetry(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Signal Spam", 100)
	_, other := e.partner("Mail Co", 100)
	body := ndjson(sms("Colis https://a.example/1"), sms("Colis https://a.example/2"))
	r2 := e.retried("/api/v1/reports/batch", tok, "application/x-ndjson", body, "batch-0001")
	var ans api.BatchAnswer
	r2.json(t, &ans)
	if ans.Filed != 2 || ans.Duplicates != 0 {
		t.Errorf("replayed answer %+v", ans)
	}
	// Stored once: two reports, each counted once.
	l := e.do("GET", "/api/v1/reports", tok, "", nil)
	wantStatus(t, l, http.StatusOK)
	var list api.ReportList
	l.json(t, &list)
	if len(list.Reports) != 2 || list.Reports[0].Count != 1 || list.Reports[1].Count != 1 {
		t.Errorf("after a retry: %+v", list.Reports)
	}
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/x-ndjson", ndjson(sms("Colis https://a.example/9")), "Idempotency-Key", "batch-0001"),
		http.StatusUnprocessableEntity, "idempotency-key-reused")
	// Keys are per partner.
	wantStatus(t, e.do("POST", "/api/v1/reports/batch", other, "application/x-ndjson", ndjson(sms("Autre https://b.example/")), "Idempotency-Key", "batch-0001"), http.StatusOK)
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/x-ndjson", body, "Idempotency-Key", "espace interdit"), http.StatusBadRequest, "invalid")
}

// TestChanges: the list pages through the reports the partner sent, each
// once, with a cursor; nothing after the last cursor.
func TestChanges(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Signal Spam", 1000)
	_, other := e.partner("Mail Co", 1000)
	var refs []string
	for i := range 5 {
		r := e.post(tok, sms(fmt.Sprintf("Colis https://a.example/%d", i)))
		wantStatus(t, r, http.StatusCreated)
		var f api.Filed
		r.json(t, &f)
		refs = append(refs, f.Ref)
	}
	wantStatus(t, e.post(other, sms("Autre https://b.example/")), http.StatusCreated)
	var seen []string
	cursor := ""
	for range 10 {
		l := e.do("GET", "/api/v1/reports?limit=2&since="+cursor, tok, "", nil)
		wantStatus(t, l, http.StatusOK)
		var list api.ReportList
		l.json(t, &list)
		for _, r := range list.Reports {
			seen = append(seen, r.Ref)
		}
		if len(list.Reports) == 0 {
			if list.Next != cursor && cursor != "" {
				t.Errorf("empty page moved the cursor %s → %s", cursor, list.Next)
			}
			break
		}
		cursor = list.Next
	}
	if strings.Join(seen, ",") != strings.Join(refs, ",") {
		t.Errorf("pages listed %v, want %v", seen, refs)
	}
	wantType(t, e.do("GET", "/api/v1/reports?limit=0", tok, "", nil), http.StatusBadRequest, "invalid")
	wantType(t, e.do("GET", "/api/v1/reports?since=-1", tok, "", nil), http.StatusBadRequest, "invalid")
}

// TestEveryRouteRefuses: every route refuses a missing token (401), a
// cookie (400) and a spent rate (429), as problem details.
func TestEveryRouteRefuses(t *testing.T) {
	e := newEnv(t)
	for _, rt := range []struct{ method, path, ctype string }{
		{"POST", "/api/v1/reports", "application/json"}, {"POST", "/api/v1/reports/batch", "application/x-ndjson"},
		{"GET", "/api/v1/reports", ""}, {"GET", "/api/v1/reports/SG-2026-0000-0000", ""},
	} {
		_, tok := e.partner("P "+rt.method+rt.path, 1)
		body := []byte(nil)
		if rt.method == "POST" {
			body = ndjson(sms("x https://a.example/"))
		}
		wantType(t, e.do(rt.method, rt.path, "", rt.ctype, body), http.StatusUnauthorized, "unauthenticated")
		wantType(t, e.do(rt.method, rt.path, tok, rt.ctype, body, "Cookie", "a=b"), http.StatusBadRequest, "invalid")
		e.do(rt.method, rt.path, tok, rt.ctype, body)
		r := e.do(rt.method, rt.path, tok, rt.ctype, body)
		wantType(t, r, http.StatusTooManyRequests, "rate-limited")
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 429 without Retry-After", rt.method, rt.path)
		}
	}
	_, tok := e.partner("Gros lot", 100)
	huge := bytes.Repeat([]byte(" "), 5<<20)
	wantType(t, e.do("POST", "/api/v1/reports/batch", tok, "application/x-ndjson", huge), http.StatusRequestEntityTooLarge, "too-large")
}
