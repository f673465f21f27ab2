package web

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/report"
)

// reportDesk is the back-office with the report desk, over SQLite.
type reportDesk struct {
	*deskEnv
	reports *report.Service
}

func newReportDesk(t *testing.T) *reportDesk {
	t.Helper()
	cw := caseworktest.New(t)
	e := &deskEnv{t: t, cw: cw, auth: tokenAuth{}}
	rs := report.New(report.Deps{Store: cw.Store, Vault: cw.Vault, Digest: cw.Complaints.TrackingDigest, Blobs: cw.Bucket, Sniff: evidence.Sniff,
		Clock: cw.Clock, Rand: rand.Reader, IDs: cw.IDs})
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: e.auth, Cases: cw.Cases, Reports: rs, Clock: cw.Clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	return &reportDesk{deskEnv: e, reports: rs}
}

// reporter opens the report's status page as its reporter would.
func (d *reportDesk) reporter(ref, code string) func() string {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r, err := c.PostForm(d.srv.URL+"/suivi", url.Values{"ref": {ref}, "code": {code}})
	if err != nil {
		d.t.Fatal(err)
	}
	r.Body.Close()
	return func() string {
		r, err := c.Get(d.srv.URL + "/suivi/" + ref)
		if err != nil {
			d.t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
}

// TestReportDesk: an analyst sees the queue, the report with its matches
// and the rule that routed it; opening the reporter's words is an access
// the reporter sees; an override needs a reason; the outcome reaches the
// reporter. Agents of a unit see none of it.
func TestReportDesk(t *testing.T) {
	d := newReportDesk(t)
	unit := d.cw.Units[0]
	an := d.as(d.cw.Principal(unit, account.RoleAnalyst, "AN01"))
	ag := d.as(d.cw.Principal(unit, account.RoleAgent, "AG01"))
	in := report.Input{Category: report.CatPhishing, Lang: "fr", Email: "lea@example.fr", Description: "Reçu <b>ce matin</b>.",
		Seen:  []report.SeenInput{{Channel: "sms", Value: "Colis bloqué : https://colis-suivi.example.com/pay 06 12 34 56 78"}},
		Files: []report.Upload{{Name: "sms.png", Data: pngBytes}}}
	f, err := d.reports.Submit(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	in.Seen, in.Files = []report.SeenInput{{Channel: "phone", Value: "06 12 34 56 78"}}, nil
	if _, err := d.reports.Submit(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	origin := []string{"Origin", d.srv.URL}
	path := "/agent/signalements/" + f.Ref

	if r, _ := d.do("GET", "/agent/", an, nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/agent/signalements" {
		t.Errorf("analyst's home: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r, body := d.do("GET", "/agent/signalements", an, nil)
	if r.StatusCode != 200 || !strings.Contains(body, f.Ref) || strings.Contains(body, "lea@example.fr") {
		t.Fatalf("queue: %d", r.StatusCode)
	}
	for _, p := range []string{"/agent/signalements", path, "/agent/regles"} {
		if r, _ := d.do("GET", p, ag, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("agent on %s: %d, want 404", p, r.StatusCode)
		}
	}
	r, body = d.do("GET", path, an, nil)
	for _, want := range []string{"33612345678", "dans 1 autre(s) signalement(s)", "règle «\u202fEscroqueries en ligne\u202f», version 1",
		"Office de lutte contre la cybercriminalité", "Observatoire des messages indésirables"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if strings.Contains(body, "lea@example.fr") || strings.Contains(body, "ce matin") {
		t.Error("the report page shows the sealed part unopened")
	}
	// Routed (referred, final for a pre-complaint), it is still worked on.
	for _, form := range []string{"/orienter", "/issue", "/retirer"} {
		if !strings.Contains(body, `action="`+path+form+`"`) {
			t.Errorf("the routed report offers no %s form", form)
		}
	}
	// Search by the number as typed another way.
	_, body = d.do("GET", "/agent/signalements?valeur="+url.QueryEscape("+33 6 12 34 56 78"), an, nil)
	if n := strings.Count(body, `href="/agent/signalements/SG-`); n != 2 {
		t.Errorf("search found %d reports, want 2", n)
	}

	// Opening the sealed part: a purpose, then the words, escaped.
	if r, body := d.do("POST", path+"/consulter", an, url.Values{}, origin...); r.StatusCode != 422 || !strings.Contains(body, "Choisissez le motif") {
		t.Errorf("open without purpose: %d", r.StatusCode)
	}
	r, body = d.do("POST", path+"/consulter", an, url.Values{"purpose": {"analysis"}}, origin...)
	if r.StatusCode != 200 || !strings.Contains(body, "lea@example.fr") || !strings.Contains(body, "Reçu &lt;b&gt;ce matin&lt;/b&gt;.") {
		t.Fatalf("open: %d", r.StatusCode)
	}
	shot := regexp.MustCompile(`href="(/agent/signalements/[^"]+/captures/[^"]+)"`).FindStringSubmatch(body)
	if shot == nil || !strings.Contains(body, "sms.png") {
		t.Fatal("the screenshot is not listed once opened")
	}
	r, got := d.do("GET", shot[1], an, nil)
	if r.StatusCode != 200 || got != string(pngBytes) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
		r.Header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
		t.Errorf("screenshot: %d %q", r.StatusCode, r.Header.Get("Content-Disposition"))
	}
	if r, _ := d.do("GET", shot[1], ag, nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("agent reads the screenshot: %d", r.StatusCode)
	}
	// Cross-origin posts are refused.
	if r, _ := d.do("POST", path+"/orienter", an, url.Values{"service": {"dgccrf"}, "reason": {"x"}}, "Origin", "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin: %d", r.StatusCode)
	}
	// An override needs a reason; with one, it is done.
	if r, body := d.do("POST", path+"/orienter", an, url.Values{"service": {"dgccrf"}}, origin...); r.StatusCode != 422 || !strings.Contains(body, "Indiquez le motif") ||
		!strings.Contains(body, `href="#f-reason"`) || !strings.Contains(body, `aria-describedby="f-reason-error"`) || !strings.Contains(body, `<option value="dgccrf" selected>`) {
		t.Errorf("route without reason: %d\n%s", r.StatusCode, excerpt(body))
	}
	// A withdrawal without a reason: said beside that service's own
	// reason, not the route form's.
	if r, body := d.do("POST", path+"/retirer", an, url.Values{"service": {"spam"}}, origin...); r.StatusCode != 422 ||
		!strings.Contains(body, `href="#f-withdraw-spam"`) || !strings.Contains(body, `id="f-withdraw-spam-error"`) || strings.Contains(body, `id="f-reason-error"`) {
		t.Errorf("withdraw without reason: %d\n%s", r.StatusCode, excerpt(body))
	}
	if r, _ := d.do("POST", path+"/orienter", an, url.Values{"service": {"dgccrf"}, "reason": {"site marchand"}}, origin...); r.StatusCode != http.StatusSeeOther {
		t.Errorf("route: %d", r.StatusCode)
	}
	for _, svc := range []string{"cyber", "spam", "dgccrf"} {
		if r, _ := d.do("POST", path+"/issue", an, url.Values{"service": {svc}, "outcome": {"site_blocked"}}, origin...); r.StatusCode != http.StatusSeeOther {
			t.Errorf("outcome %s: %d", svc, r.StatusCode)
		}
	}
	_, body = d.do("GET", path, an, nil)
	if !strings.Contains(body, "Traité") {
		t.Error("the report is not closed after every outcome")
	}
	// Who did what, in words: the route added by hand, the history.
	for _, want := range []string{"site marchand — par agent n° AN01", "Signalement reçu — le déclarant", "Consulté par un enquêteur — agent n° AN01"} {
		if !strings.Contains(body, want) {
			t.Errorf("the closed report lacks %q", want)
		}
	}
	page := d.reporter(f.Ref, f.TrackingCode.String())()
	for _, want := range []string{"Site bloqué", "Traité", "Qui a consulté votre signalement", "AN01", "Analyse du signalement",
		"Les escroqueries en ligne sont examinées", "site marchand"} {
		if !strings.Contains(page, want) {
			t.Errorf("the reporter's page lacks %q", want)
		}
	}
}

var triedRE = regexp.MustCompile(`name="tried" value="([0-9a-f]+)"`)

// TestRuleEditing: only a supervisor edits rules; a rule is tried on the
// last 30 days before it can be saved, and what is saved is what was
// tried; an edit from a stale version is refused.
func TestRuleEditing(t *testing.T) {
	d := newReportDesk(t)
	unit := d.cw.Units[0]
	an := d.as(d.cw.Principal(unit, account.RoleAnalyst, "AN01"))
	su := d.as(d.cw.Principal(unit, account.RoleSupervisor, "SU01"))
	origin := []string{"Origin", d.srv.URL}
	if _, err := d.reports.Submit(t.Context(), report.Input{Category: report.CatInvestment,
		Seen: []report.SeenInput{{Channel: "iban", Value: "FR76 3000 6000 0112 3456 7890 189"}}}); err != nil {
		t.Fatal(err)
	}
	if r, body := d.do("GET", "/agent/regles", an, nil); r.StatusCode != 200 || !strings.Contains(body, "Escroqueries en ligne") || strings.Contains(body, "/agent/regles/nouvelle") {
		t.Errorf("analyst reads the rules: %d", r.StatusCode)
	}
	if r, _ := d.do("GET", "/agent/regles/nouvelle", an, nil); r.StatusCode != 404 {
		t.Errorf("analyst edits: %d", r.StatusCode)
	}
	form := url.Values{"name": {"IBAN"}, "kinds": {"iban"}, "services": {"card_fraud"}, "active": {"1"},
		"why_fr": {"Les IBAN frauduleux sont signalés aux banques."}, "why_en": {"Fraudulent IBANs are reported to banks."}, "action": {"enregistrer"}}
	if r, _ := d.do("POST", "/agent/regles", an, form, origin...); r.StatusCode != 404 {
		t.Errorf("analyst saves: %d", r.StatusCode)
	}
	// Saving without a dry run only shows the dry run.
	r, body := d.do("POST", "/agent/regles", su, form, origin...)
	if r.StatusCode != 200 || !strings.Contains(body, "Sur 1 signalement(s) reçus ces 30 derniers jours, cette règle en aurait orienté 1, dont 1") {
		t.Fatalf("dry run: %d\n%s", r.StatusCode, excerpt(body))
	}
	tried := triedRE.FindStringSubmatch(body)
	if tried == nil {
		t.Fatal("no save offered after the dry run")
	}
	// Changed after the dry run: tried again, not saved.
	changed := with(form, "tried", tried[1], "services", "interpol")
	if r, body := d.do("POST", "/agent/regles", su, changed, origin...); r.StatusCode != 200 || !strings.Contains(body, "Essai sur les 30 derniers jours") {
		t.Errorf("changed after trying: %d", r.StatusCode)
	}
	rules, _ := d.reports.Rules(t.Context(), account.Principal{Role: account.RoleSupervisor})
	before := len(rules)
	r, _ = d.do("POST", "/agent/regles", su, with(form, "tried", tried[1]), origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", r.StatusCode)
	}
	// Saved: said at the top of the rules page.
	if _, body := d.do("GET", r.Header.Get("Location"), su, nil); !strings.Contains(body, "La règle «\u202fIBAN\u202f» est enregistrée, version 1") {
		t.Errorf("no word of the rule saved at %s\n%s", r.Header.Get("Location"), excerpt(body))
	}
	rules, _ = d.reports.Rules(t.Context(), account.Principal{Role: account.RoleSupervisor})
	if len(rules) != before+1 {
		t.Fatalf("%d rules, want %d", len(rules), before+1)
	}
	// Missing fields: said beside them, what was typed kept.
	bad := url.Values{"name": {"Sans service"}, "why_fr": {"x"}}
	if r, body := d.do("POST", "/agent/regles", su, bad, origin...); r.StatusCode != 422 || !strings.Contains(body, "Cochez au moins un service") || !strings.Contains(body, `value="Sans service"`) ||
		!strings.Contains(body, "Motif, en anglais\u202f: Expliquez le motif") {
		t.Errorf("bad rule: %d\n%s", r.StatusCode, excerpt(body))
	}
}
