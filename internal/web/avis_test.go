package web

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

var avisRefRE = regexp.MustCompile(`/agent/avis/(AV-[0-9A-Z-]+)\?fait=created`)

// TestAvisPages: a supervisor drafts a warning (a refused form keeps what
// was typed and names the fields), which stays private until published;
// published, it is on /avis, its page, the feeds (with caching headers
// and 304) and a poster; withdrawn, it leaves the list and its CAP
// document is a Cancel. An agent reaches none of the back-office, by
// page or by post.
func TestAvisPages(t *testing.T) {
	cw := caseworktest.New(t)
	e := &deskEnv{t: t, cw: cw, auth: tokenAuth{}}
	bs := bulletin.New(bulletin.Deps{Store: cw.Store, Evidence: cw.Store, Clock: cw.Clock, Rand: rand.Reader, IDs: cw.IDs})
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: e.auth, Cases: cw.Cases, Bulletins: bs, Clock: cw.Clock, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	unit := cw.Units[0]
	sup := e.as(cw.Principal(unit, account.RoleSupervisor, "SU01"))
	ag := e.as(cw.Principal(unit, account.RoleAgent, "AG01"))
	origin := []string{"Origin", e.srv.URL}
	day := cw.Clock.Now().Format("2006-01-02")
	form := url.Values{"slug": {"faux-colis"}, "level": {"warning"}, "audiences": {"everyone"},
		"fr.title": {"Faux SMS <colis>"}, "fr.summary": {"Un SMS réclame des frais."}, "fr.looks": {"- un lien court"}, "fr.do": {"Ne cliquez pas."},
		"en.summary": {"A text asks for a fee."}, "en.looks": {"- a short link"}, "en.do": {"Do not click."},
		"valid_from": {day}, "category": {"phishing"}}

	for _, p := range []string{"/agent/avis", "/agent/avis/nouveau"} {
		if r, _ := e.do("GET", p, ag, nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("an agent got %s: %d", p, r.StatusCode)
		}
	}
	if r, _ := e.do("POST", "/agent/avis/nouveau", ag, form, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent's post got %d", r.StatusCode)
	}
	r, body := e.do("POST", "/agent/avis/nouveau", sup, form, origin...)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-en-title"`) || !strings.Contains(body, `value="Faux SMS &lt;colis&gt;"`) {
		t.Fatalf("refused form: %d\n%s", r.StatusCode, excerpt(body))
	}
	form.Set("en.title", "Fake parcel texts")
	r, _ = e.do("POST", "/agent/avis/nouveau", sup, form, origin...)
	m := avisRefRE.FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	ref := m[1]
	if r, _ := e.do("GET", "/agent/avis/"+ref, ag, nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent read the draft: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/avis/"+ref+"/publier", ag, url.Values{}, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agent published: %d", r.StatusCode)
	}
	for _, p := range []string{"/avis/faux-colis", "/avis/" + ref, "/avis/" + ref + ".cap.xml", "/avis/faux-colis/affiche.pdf"} {
		if r, _ := e.do("GET", p, "", nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("draft public at %s: %d", p, r.StatusCode)
		}
	}
	_, body = e.do("GET", "/agent/avis/"+ref, sup, nil)
	if !strings.Contains(body, "Faux SMS &lt;colis&gt;") || !strings.Contains(body, "/publier") {
		t.Fatalf("preview: %s", excerpt(body))
	}
	if r, _ := e.do("POST", "/agent/avis/"+ref+"/publier", sup, url.Values{}, origin...); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	_, body = e.do("GET", "/avis", "", nil)
	if !strings.Contains(body, "Faux SMS &lt;colis&gt;") || !strings.Contains(body, `rel="alternate" type="application/atom+xml" href="/avis/flux.atom"`) {
		t.Fatalf("/avis: %s", excerpt(body))
	}
	r, body = e.do("GET", "/avis/faux-colis", "", nil)
	if r.StatusCode != 200 || !strings.Contains(body, "/signaler/signalement?categorie=phishing") {
		t.Fatalf("page: %d %s", r.StatusCode, excerpt(body))
	}
	r, body = e.do("GET", "/avis/flux.atom", "", nil)
	etag := r.Header.Get("ETag")
	if r.StatusCode != 200 || etag == "" || r.Header.Get("Last-Modified") == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=") ||
		!strings.Contains(body, "https://guichet.test/avis/faux-colis") {
		t.Fatalf("atom: %d %v\n%s", r.StatusCode, r.Header, body)
	}
	if r, _ := e.do("GET", "/avis/flux.atom", "", nil, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.StatusCode)
	}
	if r, _ := e.do("GET", "/avis/faux-colis/affiche.pdf", "", nil); r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("poster: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r, body := e.do("GET", "/avis/"+ref+".cap.xml", "", nil); r.StatusCode != 200 || !strings.Contains(body, "<msgType>Alert</msgType>") {
		t.Errorf("cap: %d\n%s", r.StatusCode, body)
	}
	if r, _ := e.do("POST", "/agent/avis/"+ref+"/retirer", sup, url.Values{}, origin...); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", r.StatusCode)
	}
	if _, body := e.do("GET", "/avis", "", nil); strings.Contains(body, "Faux SMS &lt;colis&gt;") {
		t.Error("withdrawn, still listed")
	}
	if r, _ := e.do("GET", "/avis/faux-colis", "", nil); r.StatusCode != http.StatusGone {
		t.Errorf("withdrawn page: %d, want 410", r.StatusCode)
	}
	if _, body := e.do("GET", "/avis/"+ref+".cap.xml", "", nil); !strings.Contains(body, "<msgType>Cancel</msgType>") {
		t.Errorf("withdrawn CAP is not a Cancel:\n%s", body)
	}
	if _, body := e.do("GET", "/avis/cap.atom", "", nil); !strings.Contains(body, ref+"-cancel") {
		t.Errorf("the CAP index does not announce the cancel:\n%s", body)
	}
}
