package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"regexp"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

// TestConfirmationSurvivesReload: the victim who switches to a notes app
// and comes back (a reload), or presses back, or sends the form again,
// finds the same confirmation with the same code for 30 minutes; then
// the page still says the pre-complaint was sent and how to follow it;
// after 12 hours, or once forgotten, the browser holds nothing.
func TestConfirmationSurvivesReload(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	ref, code := c.submit()

	for _, how := range []struct{ name, method, path string }{
		{"reload", "GET", "/preplainte/envoyee"},
		{"again", "GET", "/preplainte/envoyee"},
		{"form sent again", "POST", "/preplainte/envoyer"},
		{"back to a step", "GET", "/preplainte/recapitulatif"},
		{"resume page", "GET", "/preplainte/reprendre?absent=1"},
	} {
		var r resp
		if how.method == "POST" {
			r = c.post(how.path, url.Values{"consent": {"yes"}})
		} else {
			r = c.get(how.path)
		}
		r.must(t, http.StatusOK, ref, "Votre pré-plainte est envoyée")
		if r.Path != "/preplainte/envoyee" {
			t.Errorf("%s: at %s, want /preplainte/envoyee", how.name, r.Path)
		}
		if m := codeRE.FindStringSubmatch(r.Body); m == nil || m[1] != code {
			t.Errorf("%s: code %v, want %s", how.name, m, code)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", how.name, got)
		}
	}

	// The cookie is HttpOnly, encrypted (no code or reference in it) and
	// authenticated: altered, it opens nothing.
	u, _ := url.Parse(e.srv.URL)
	var sent *http.Cookie
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sentCookie {
			sent = ck
		}
	}
	if sent == nil {
		t.Fatal("no confirmation cookie")
	}
	compact := strings.ReplaceAll(code, "-", "")
	if strings.Contains(sent.Value, compact) || strings.Contains(sent.Value, ref) {
		t.Errorf("the cookie holds the code or reference in clear: %s", sent.Value)
	}
	forged := e.client("fr")
	b := []byte(sent.Value)
	b[len(b)/2] ^= 1
	if b[len(b)/2] == '-' || b[len(b)/2] == '_' {
		b[len(b)/2] = 'A'
	}
	forged.http.Jar.SetCookies(u, []*http.Cookie{{Name: sentCookie, Value: string(b), Path: "/"}})
	if r := forged.get("/preplainte/envoyee"); r.Path != "/preplainte/reprendre?absent=1" || strings.Contains(r.Body, ref) {
		t.Errorf("a tampered cookie led to %s (reference shown: %v)", r.Path, strings.Contains(r.Body, ref))
	}

	// After 30 minutes: sent, the reference, how to follow; no code.
	e.clock.Add(31 * time.Minute)
	r := c.get("/preplainte/envoyee").must(t, http.StatusOK, ref, "a bien été envoyée", `href="/suivi"`, "pièce d’identité")
	if strings.Contains(r.Body, compact[:4]+"</span>") || codeRE.FindStringSubmatch(r.Body) != nil {
		t.Error("the code is still shown after 30 minutes")
	}
	// In English too.
	en := e.client("en")
	en.http.Jar.SetCookies(u, c.http.Jar.Cookies(u))
	en.get("/preplainte/envoyee").must(t, http.StatusOK, ref, "was sent and recorded")

	// Forgetting removes it from this browser.
	c.post("/preplainte/envoyee/oublier", nil).must(t, http.StatusOK)
	if r := c.get("/preplainte/envoyee"); r.Path != "/preplainte/reprendre?absent=1" {
		t.Errorf("after forgetting: at %s", r.Path)
	}
	// And it is never kept past 12 hours.
	e.clock.Add(12 * time.Hour)
	if r := en.get("/preplainte/envoyee"); r.Path != "/preplainte/reprendre?absent=1" {
		t.Errorf("after 12 hours: at %s", r.Path)
	}
}

// TestReissueCode: an agent of the case's unit, having checked the
// citizen's identity, gives a new code; the old one stops working, the
// new one opens the case, and the citizen's history says so. Another
// unit's agent cannot; without the identity box ticked nothing happens.
func TestReissueCode(t *testing.T) {
	e := newStatusEnv(t)
	d := e.desk
	unitA, unitB := d.cw.Units[0], d.cw.Units[1]
	sub := d.cw.Submit(unitA, caseworktest.Filing{})
	a := d.as(d.cw.Principal(unitA, account.RoleAgent, "A7F2"))
	b := d.as(d.cw.Principal(unitB, account.RoleAgent, "B3K9"))
	path := "/agent/dossiers/" + sub.Ref + "/code"

	r, body := d.do("POST", path, a, url.Values{}, "Origin", d.srv.URL)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Cochez la case") {
		t.Fatalf("without the identity box: %d", r.StatusCode)
	}
	if r, _ := d.do("POST", path, b, url.Values{"identity_checked": {"yes"}}, "Origin", d.srv.URL); r.StatusCode != http.StatusNotFound {
		t.Fatalf("agent of another unit: %d, want 404", r.StatusCode)
	}
	// The old code still works until it is replaced.
	e.citizen("fr", sub.Ref, sub.TrackingCode.String())

	r, body = d.do("POST", path, a, url.Values{"identity_checked": {"yes"}}, "Origin", d.srv.URL)
	if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reissue: %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	m := codePattern{regexp.MustCompile(`<p class="code" id="new-code">(.*?)</p>`)}.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no new code shown:\n%s", excerpt(body))
	}
	fresh := m[1]
	if fresh == sub.TrackingCode.String() {
		t.Fatal("the new code is the old one")
	}
	old := e.pub.client("fr")
	if r := old.post("/suivi", url.Values{"ref": {sub.Ref}, "code": {sub.TrackingCode.String()}}); r.StatusCode == http.StatusOK && r.Path == "/suivi/"+sub.Ref {
		t.Error("the old code still opens the case")
	}
	c := e.citizen("fr", sub.Ref, fresh)
	c.get("/suivi/"+sub.Ref).must(t, http.StatusOK, "nouveau code de suivi")
}
