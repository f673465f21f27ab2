package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/problem"
)

func (c *client) getAccept(path, accept string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	return c.do(req)
}

// problemOf checks r is problem details of type slug and returns them.
func problemOf(t *testing.T, r resp, status int, slug string) problem.Details {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%s", r.Path, r.StatusCode, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("%s: Content-Type %q\n%s", r.Path, ct, excerpt(r.Body))
	}
	var d problem.Details
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	if d.Type != "https://guichet.test/problemes/"+slug || d.Status != status {
		t.Fatalf("%s: %+v, want type %s", r.Path, d, slug)
	}
	return d
}

// TestErrorsAsProblemDetails: a client asking for JSON gets the same
// error as problem details, titled in its language; a browser still gets
// the page.
func TestErrorsAsProblemDetails(t *testing.T) {
	e := newEnv(t)
	fr, en := e.client("fr"), e.client("en")
	d := problemOf(t, fr.getAccept("/nulle-part", "application/json"), 404, "not-found")
	if d.Title != "Page introuvable" || d.Instance != "/nulle-part" || d.Detail != "" {
		t.Errorf("%+v", d)
	}
	r := en.getAccept("/nulle-part", "application/problem+json")
	if d := problemOf(t, r, 404, "not-found"); d.Title != "Page not found" {
		t.Errorf("English title %q", d.Title)
	}
	if r.Header.Get("Content-Language") != "en" || !strings.Contains(r.Header.Get("Vary"), "Accept") {
		t.Errorf("headers %v", r.Header)
	}
	// A browser's Accept, or none: the HTML page, unchanged.
	fr.getAccept("/nulle-part", "text/html,application/xhtml+xml,*/*;q=0.8").must(t, 404, "Page introuvable", "<h1>")
	fr.get("/nulle-part").must(t, 404, "Page introuvable", "<h1>")
	// Unknown cases stay not-found, without the reference's internals.
	problemOf(t, fr.getAccept("/suivi/PP-2026-7KQ3-M9TX/recu.json", "application/json"), 404, "not-found")
}

func TestRateLimitAsProblemDetails(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *complaint.Config) { c.RateLimit = Limit{Rate: 1.0 / 30, Burst: 1} })
	c := e.client("fr")
	c.get("/").must(t, 200)
	r := c.getAccept("/", "application/json")
	d := problemOf(t, r, http.StatusTooManyRequests, "rate-limited")
	if d.Title != "Trop de tentatives" {
		t.Errorf("title %q", d.Title)
	}
	if r.Header.Get("Retry-After") != "30" {
		t.Errorf("Retry-After %q, want the limiter's 30", r.Header.Get("Retry-After"))
	}
	e.clock.Add(31 * time.Second)
	c.get("/").must(t, 200)
}

// TestProblemTypePages: every type URI leads to a page describing it, in
// French and English; unknown types are not found.
func TestProblemTypePages(t *testing.T) {
	e := newEnv(t)
	fr, en := e.client("fr"), e.client("en")
	list := fr.get("/problemes").must(t, 200, "Types de problème", "RFC 9457")
	for _, pt := range problem.Types() {
		if !strings.Contains(list.Body, `href="`+pt.Path()+`"`) {
			t.Errorf("the list lacks %s", pt.Slug)
		}
		fr.get(pt.Path()).must(t, 200, `<code class="problem-uri">https://guichet.test/problemes/`+pt.Slug+"</code>", "Statut HTTP", `aria-current="page"`)
		en.get(pt.Path()).must(t, 200, "Type address", "<dd>"+itoa(int64(pt.Status))+"</dd>")
	}
	fr.get("/problemes/invalid-fields").must(t, 200, "Un ou plusieurs champs")
	en.get("/problemes/rate-limited").must(t, 200, "Too many requests", "Retry-After")
	fr.get("/problemes/nope").must(t, 404, "Page introuvable")
}

// TestPasskeyStepsAnswerProblemDetails: a failed passkey step answers the
// script with problem details whose detail is the message it shows.
func TestPasskeyStepsAnswerProblemDetails(t *testing.T) {
	e := newAgentEnv(t)
	e.seed("AGT-1")
	b := e.browser()
	for _, tc := range []struct {
		path, lang string
		status     int
		slug       string
		detail     string
	}{
		// No session: the script is told to start again.
		{"/agent/connexion/passkey/options", "fr", 401, "unauthenticated", "Votre session"},
		{"/agent/connexion/passkey", "en", 401, "unauthenticated", "Your session"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+tc.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, application/problem+json")
		req.Header.Set("Accept-Language", tc.lang)
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var d problem.Details
		err = json.NewDecoder(res.Body).Decode(&d)
		res.Body.Close()
		if err != nil || res.StatusCode != tc.status || res.Header.Get("Content-Type") != problem.ContentType {
			t.Fatalf("%s: %d %s %v", tc.path, res.StatusCode, res.Header.Get("Content-Type"), err)
		}
		if d.Type != "https://guichet.test/problemes/"+tc.slug || d.Status != tc.status || !strings.HasPrefix(d.Detail, tc.detail) {
			t.Errorf("%s: %+v", tc.path, d)
		}
	}
	// Signed in with a password but without a passkey: not found, with
	// the generic message.
	b.do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1"}, "agent_password": {agentPassword}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/agent/connexion/passkey/options", strings.NewReader("{}"))
	req.Header.Set("Accept", "application/json")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var d problem.Details
	if err := json.NewDecoder(res.Body).Decode(&d); err != nil || res.StatusCode != 404 || d.Type != "https://guichet.test/problemes/not-found" || d.Detail == "" {
		t.Errorf("no passkey: %d %+v %v", res.StatusCode, d, err)
	}
}
