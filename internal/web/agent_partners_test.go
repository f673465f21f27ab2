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
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/partner"
)

var secretRE = regexp.MustCompile(`id="token-secret">(gch_[A-Za-z0-9_-]{43})<`)

// TestPartnerPages: an administrator creates a partner (a refused form
// keeps what was typed and names the fields), makes a token shown once,
// revokes it and disables the partner; no other role reaches the page.
func TestPartnerPages(t *testing.T) {
	cw := caseworktest.New(t)
	e := &deskEnv{t: t, cw: cw, auth: tokenAuth{}}
	ps := partner.New(partner.Deps{Store: cw.Store, Clock: cw.Clock, Rand: rand.Reader, IDs: cw.IDs})
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: e.auth, Cases: cw.Cases, Partners: ps, Clock: cw.Clock, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	unit := cw.Units[0]
	ad := e.as(cw.Principal(unit, account.RoleAdmin, "AD01"))
	an := e.as(cw.Principal(unit, account.RoleAnalyst, "AN01"))
	origin := []string{"Origin", e.srv.URL}

	r, body := e.do("GET", "/agent/partenaires", ad, nil)
	if r.StatusCode != 200 || !strings.Contains(body, `action="/agent/partenaires"`) || !strings.Contains(body, "/agent/partenaires\">") {
		t.Fatalf("admin's page: %d\n%s", r.StatusCode, excerpt(body))
	}
	if r, _ := e.do("GET", "/agent/partenaires", an, nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst got %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/partenaires", an, url.Values{"name": {"X"}, "kind": {"other"}, "scopes": {"reports:write"}}, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst's post got %d", r.StatusCode)
	}

	r, body = e.do("POST", "/agent/partenaires", ad, url.Values{"name": {"Signal Spam"}, "kind": {"nope"}}, origin...)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Signal Spam"`) ||
		!strings.Contains(body, `href="#f-kind"`) || !strings.Contains(body, `href="#f-scopes"`) {
		t.Fatalf("refused form: %d\n%s", r.StatusCode, excerpt(body))
	}
	r, _ = e.do("POST", "/agent/partenaires", ad, url.Values{"name": {"Signal Spam"}, "kind": {"spam-observatory"}, "scopes": {"reports:write", "reports:read"}}, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", r.StatusCode)
	}
	all, err := ps.Partners(t.Context(), partner.CommandLine)
	if err != nil || len(all) != 1 {
		t.Fatalf("partners %v %v", all, err)
	}
	p := all[0]
	r, body = e.do("POST", "/agent/partenaires/"+p.ID+"/jetons", ad, url.Values{"rate": {"120"}, "days": {"30"}}, origin...)
	m := secretRE.FindStringSubmatch(body)
	if r.StatusCode != 200 || m == nil {
		t.Fatalf("token: %d\n%s", r.StatusCode, excerpt(body))
	}
	c, err := ps.Authenticate(t.Context(), m[1])
	if err != nil || c.Token.Rate != 120 || !c.Has(partner.ScopeReportsRead) {
		t.Fatalf("the token shown: %+v %v", c, err)
	}
	// Shown once: the list does not show it again.
	_, body = e.do("GET", "/agent/partenaires", ad, nil)
	if strings.Contains(body, m[1]) {
		t.Error("the token is shown again")
	}
	r, _ = e.do("POST", "/agent/partenaires/"+p.ID+"/jetons/"+c.Token.ID+"/revoquer", ad, url.Values{}, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	if _, err := ps.Authenticate(t.Context(), m[1]); err == nil {
		t.Error("a revoked token is accepted")
	}
	r, _ = e.do("POST", "/agent/partenaires/"+p.ID+"/desactiver", ad, url.Values{}, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.StatusCode)
	}
	_, body = e.do("GET", "/agent/partenaires?fait=disabled", ad, nil)
	if !strings.Contains(body, "désactivé") {
		t.Errorf("disabled partner not shown so\n%s", excerpt(body))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
