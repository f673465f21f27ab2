package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

// tokenAuth authenticates agents by a fixed token per principal.
type tokenAuth map[string]account.Principal

func (a tokenAuth) Authenticate(_ context.Context, token string) (account.Principal, error) {
	p, ok := a[token]
	if !ok {
		return account.Principal{}, guichet.ErrUnauthenticated
	}
	return p, nil
}

// deskEnv is the back-office on the real case desk over SQLite.
type deskEnv struct {
	t    *testing.T
	cw   *caseworktest.Env
	srv  *httptest.Server
	auth tokenAuth
}

func newDeskEnv(t *testing.T) *deskEnv {
	t.Helper()
	cw := caseworktest.New(t)
	e := &deskEnv{t: t, cw: cw, auth: tokenAuth{}}
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: e.auth, Cases: cw.Cases, Clock: cw.Clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// as registers p and returns its session token.
func (e *deskEnv) as(p account.Principal) string {
	tok := "tok-" + p.Pseudonym
	e.auth[tok] = p
	return tok
}

// do sends a request with the agent's cookie (token may be empty) and
// does not follow redirects.
func (e *deskEnv) do(method, path, token string, form url.Values, headers ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: agentCookie, Value: token})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

var pngBytes = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0}

func TestAgentCasesSecurity(t *testing.T) {
	e := newDeskEnv(t)
	unitA, unitB := e.cw.Units[0], e.cw.Units[1]
	xss := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	sub := e.cw.Submit(unitA, caseworktest.Filing{Description: "Vol " + xss, LastName: "Durand" + xss,
		FileName: `photo "vélo".png`, File: pngBytes})
	a := e.as(e.cw.Principal(unitA, account.RoleAgent, "A7F2"))
	b := e.as(e.cw.Principal(unitB, account.RoleAgent, "B3K9"))
	analyst := e.as(e.cw.Principal(unitA, account.RoleAnalyst, "C4M1"))

	t.Run("queue lists the unit's case", func(t *testing.T) {
		r, body := e.do("GET", "/agent/", a, nil)
		if r.StatusCode != 200 || !strings.Contains(body, sub.Ref) {
			t.Fatalf("queue of unit A: %d, ref shown %v", r.StatusCode, strings.Contains(body, sub.Ref))
		}
		if strings.Contains(body, "Durand") {
			t.Error("the queue shows personal data")
		}
		r, body = e.do("GET", "/agent/", b, nil)
		if r.StatusCode != 200 || strings.Contains(body, sub.Ref) {
			t.Fatalf("queue of unit B: %d, shows A's case: %v", r.StatusCode, strings.Contains(body, sub.Ref))
		}
	})

	t.Run("IDOR across units is a 404 like a missing case", func(t *testing.T) {
		missing := "PP-2026-0000-0000"
		rm, _ := e.do("GET", "/agent/dossiers/"+missing, b, nil)
		for _, tt := range []struct{ method, path string }{
			{"GET", "/agent/dossiers/" + sub.Ref},
			{"POST", "/agent/dossiers/" + sub.Ref + "/consulter"},
			{"GET", "/agent/dossiers/" + sub.Ref + "/convertir"},
			{"GET", "/agent/dossiers/" + sub.Ref + "/cloturer"},
			{"POST", "/agent/dossiers/" + sub.Ref + "/notes"},
		} {
			r, _ := e.do(tt.method, tt.path, b, url.Values{"purpose": {"processing"}, "note": {"x"}})
			if r.StatusCode != http.StatusNotFound || r.StatusCode != rm.StatusCode {
				t.Errorf("agent of B: %s %s = %d, want 404 (missing: %d)", tt.method, tt.path, r.StatusCode, rm.StatusCode)
			}
		}
		r, _ := e.do("GET", "/agent/", analyst, nil)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/agent/securite" {
			t.Errorf("analyst's queue: %d to %q, want 303 to their home", r.StatusCode, r.Header.Get("Location"))
		}
		if r, _ := e.do("GET", "/agent/dossiers/"+sub.Ref, analyst, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("analyst opening a case: %d, want 404", r.StatusCode)
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		r, _ := e.do("GET", "/agent/dossiers/"+sub.Ref, "", nil)
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/agent/connexion?retour=") {
			t.Errorf("anonymous GET: %d to %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
		}
		r, _ = e.do("POST", "/agent/dossiers/"+sub.Ref+"/consulter", "", url.Values{"purpose": {"processing"}})
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous POST: %d, want 401", r.StatusCode)
		}
	})

	t.Run("cross-origin post refused", func(t *testing.T) {
		r, _ := e.do("POST", "/agent/dossiers/"+sub.Ref+"/notes", a, url.Values{"note": {"hello"}, "to": {"citizen"}},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST: %d, want 403", r.StatusCode)
		}
	})

	t.Run("summary has no personal data; purpose required", func(t *testing.T) {
		r, body := e.do("GET", "/agent/dossiers/"+sub.Ref, a, nil)
		if r.StatusCode != 200 || strings.Contains(body, "Durand") || strings.Contains(body, "Vol ") {
			t.Fatalf("summary: %d, personal data shown: %v", r.StatusCode, strings.Contains(body, "Durand"))
		}
		r, body = e.do("POST", "/agent/dossiers/"+sub.Ref+"/consulter", a, url.Values{})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-purpose-error"`) {
			t.Errorf("open without purpose: %d, error beside the field: %v", r.StatusCode, strings.Contains(body, `id="f-purpose-error"`))
		}
	})

	var evidenceLink string
	t.Run("stored XSS is inert", func(t *testing.T) {
		r, body := e.do("POST", "/agent/dossiers/"+sub.Ref+"/consulter", a, url.Values{"purpose": {"processing"}})
		if r.StatusCode != 200 {
			t.Fatalf("open: %d", r.StatusCode)
		}
		for _, raw := range []string{"<script>alert(1)", "<img src=x onerror"} {
			if strings.Contains(body, raw) {
				t.Errorf("opened file contains %q unescaped", raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "Durand&lt;script&gt;") {
			t.Error("the description and name are not shown escaped")
		}
		i := strings.Index(body, "/agent/dossiers/"+sub.Ref+"/preuves/")
		if i < 0 {
			t.Fatal("no evidence link")
		}
		evidenceLink = body[i : i+strings.IndexByte(body[i:], '"')]
	})

	t.Run("evidence download headers", func(t *testing.T) {
		if evidenceLink == "" {
			t.Skip("no link")
		}
		r, body := e.do("GET", evidenceLink, a, nil)
		if r.StatusCode != 200 || body != string(pngBytes) {
			t.Fatalf("evidence: %d, %d bytes", r.StatusCode, len(body))
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"Cache-Control":           "no-store",
			"Content-Type":            "image/png",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		cd := r.Header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''photo%20%22v%C3%A9lo%22.png") {
			t.Errorf("Content-Disposition = %q", cd)
		}
		r, _ = e.do("GET", evidenceLink, b, nil)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("evidence for unit B: %d, want 404", r.StatusCode)
		}
	})

	t.Run("note errors keep the text", func(t *testing.T) {
		r, body := e.do("POST", "/agent/dossiers/"+sub.Ref+"/notes", a, url.Values{"note": {""}, "to": {"citizen"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-note-error"`) {
			t.Errorf("empty note: %d", r.StatusCode)
		}
		r, _ = e.do("POST", "/agent/dossiers/"+sub.Ref+"/notes", a, url.Values{"note": {"Apportez la facture."}, "to": {"citizen"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("note: %d, want 303", r.StatusCode)
		}
	})

	t.Run("close needs a reason", func(t *testing.T) {
		r, body := e.do("POST", "/agent/dossiers/"+sub.Ref+"/cloturer", a, url.Values{"redirect": {"pharos"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-reason-error"`) || !strings.Contains(body, `value="pharos" selected`) {
			t.Errorf("close without reason: %d, error shown and choice kept?", r.StatusCode)
		}
	})

	t.Run("other pages", func(t *testing.T) {
		for _, p := range []string{"/agent/calendrier", "/agent/envois"} {
			if r, _ := e.do("GET", p, a, nil); r.StatusCode != 200 {
				t.Errorf("%s: %d", p, r.StatusCode)
			}
		}
		for _, p := range []string{"/agent/echeances", "/agent/acces"} {
			if r, _ := e.do("GET", p, a, nil); r.StatusCode != http.StatusNotFound {
				t.Errorf("%s for an agent: %d, want 404 (supervisors only)", p, r.StatusCode)
			}
		}
		sup := e.as(e.cw.Principal(unitA, account.RoleSupervisor, "S1P2"))
		for _, p := range []string{"/agent/echeances", "/agent/acces"} {
			r, body := e.do("GET", p, sup, nil)
			if r.StatusCode != 200 {
				t.Errorf("%s for a supervisor: %d", p, r.StatusCode)
			}
			if p == "/agent/acces" && !strings.Contains(body, "A7F2") {
				t.Error("the access log does not show agent A7F2's reading")
			}
		}
	})
}

// TestAgentReschedule: an agent moves a case's appointment to a slot
// agreed with the citizen; the citizen's timeline says so; a slot filled
// meanwhile is refused beside the field.
func TestAgentReschedule(t *testing.T) {
	e := newDeskEnv(t)
	ctx := t.Context()
	unit := e.cw.Units[0]
	sub := e.cw.Submit(unit, caseworktest.Filing{})
	agent := e.cw.Principal(unit, account.RoleAgent, "A7F2")
	a := e.as(agent)
	start := e.cw.Clock.Now().Add(96 * time.Hour).Truncate(time.Hour)
	sl, err := e.cw.Cases.OpenSlot(ctx, agent, unit.ID, start, start.Add(30*time.Minute), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, body := e.do("GET", "/agent/dossiers/"+sub.Ref, a, nil); r.StatusCode != 200 || !strings.Contains(body, `value="`+sl.ID+`"`) {
		t.Fatalf("summary: %d, offers the new slot: %v", r.StatusCode, strings.Contains(body, sl.ID))
	}
	r, _ := e.do("POST", "/agent/dossiers/"+sub.Ref+"/rendez-vous", a, url.Values{"slot_id": {sl.ID}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?ok=deplace") {
		t.Fatalf("reschedule: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	v, err := e.cw.Complaints.View(ctx, sub.Ref)
	if err != nil {
		t.Fatal(err)
	}
	last := v.Events[len(v.Events)-1]
	if v.Appointment == nil || v.Appointment.SlotID != sl.ID || last.Type != "appointment.rescheduled" || last.Actor != "agent:A7F2" || !last.Visible {
		t.Fatalf("after the move: appointment %+v, last event %+v", v.Appointment, last)
	}
	// The history names events and who made them in words.
	_, body := e.do("GET", "/agent/dossiers/"+sub.Ref, a, nil)
	for _, raw := range []string{"appointment.", "— citizen", "— agent:"} {
		if strings.Contains(body, raw) {
			t.Errorf("the history shows %q raw", raw)
		}
	}
	for _, want := range []string{"— la victime", "— agent n° A7F2"} {
		if !strings.Contains(body, want) {
			t.Errorf("the history lacks %q", want)
		}
	}
	// The one place is taken now: another case cannot have it.
	other := e.cw.Submit(unit, caseworktest.Filing{})
	r, body = e.do("POST", "/agent/dossiers/"+other.Ref+"/rendez-vous", a, url.Values{"slot_id": {sl.ID}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-slot_id-error"`) {
		t.Fatalf("full slot: %d, error beside the field: %v", r.StatusCode, strings.Contains(body, `id="f-slot_id-error"`))
	}
}
