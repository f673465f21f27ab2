package web

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/complaint"
)

// statusEnv is the back-office and the citizens' pages on one server, on
// the real case desk over SQLite, with the notes wired as cmd/guichet does.
type statusEnv struct {
	desk *deskEnv
	pub  *env // for citizens' clients (cookie jar, language)
}

func newStatusEnv(t *testing.T) *statusEnv {
	t.Helper()
	cw := caseworktest.New(t)
	d := &deskEnv{t: t, cw: cw, auth: tokenAuth{}}
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{5}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: d.auth, Cases: cw.Cases, CitizenNotes: cw.Cases.CitizenNotes,
			Clock: cw.Clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	d.srv = httptest.NewServer(w.Handler())
	t.Cleanup(d.srv.Close)
	return &statusEnv{desk: d, pub: &env{t: t, srv: d.srv}}
}

// citizen opens the case with its reference and tracking code, in lang,
// and returns the client holding access.
func (e *statusEnv) citizen(lang, ref, code string) *client {
	c := e.pub.client(lang)
	r := c.post("/suivi", url.Values{"ref": {ref}, "code": {code}})
	if r.StatusCode != http.StatusOK || r.Path != "/suivi/"+ref {
		e.desk.t.Fatalf("tracking %s: %d at %s", ref, r.StatusCode, r.Path)
	}
	return c
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// visible is the text of a page's main content as a reader gets it:
// tags dropped, entities decoded, spaces (non-breaking too) collapsed.
func visible(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	s := html.UnescapeString(tagRE.ReplaceAllString(body, " "))
	return strings.TrimSpace(spaceRE.ReplaceAllString(strings.ReplaceAll(s, "\u00a0", " "), " "))
}

// section is the visible text of the page's section whose heading has id.
func section(t *testing.T, body, headingID string) string {
	t.Helper()
	i := strings.Index(body, `id="`+headingID+`"`)
	if i < 0 {
		t.Fatalf("no section %s", headingID)
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		t.Fatalf("section %s not closed", headingID)
	}
	return visible(body[i-4 : i+j])
}

func mustHold(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if w = strings.ReplaceAll(w, "\u00a0", " "); !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestStatusShowsAgentsWork(t *testing.T) {
	e := newStatusEnv(t)
	cw := e.desk.cw
	unit := cw.Units[0]
	sub := cw.Submit(unit, caseworktest.Filing{})
	ref, code := sub.Ref, sub.TrackingCode.String()
	fr, en := e.citizen("fr", ref, code), e.citizen("en", ref, code)
	frDates, enDates := dates{lang: "fr", loc: complaint.Paris}, dates{lang: "en", loc: complaint.Paris}

	t.Run("nobody has read the case yet", func(t *testing.T) {
		mustHold(t, "FR access section", section(t, fr.get("/suivi/"+ref).must(t, 200).Body, "access-title"),
			"Qui a consulté votre dossier", "Personne n’a encore consulté")
		mustHold(t, "EN access section", section(t, en.get("/suivi/"+ref).must(t, 200).Body, "access-title"),
			"Who has viewed your case", "No one has viewed")
	})

	agent := cw.Principal(unit, account.RoleAgent, "A7F2")
	sup := cw.Principal(unit, account.RoleSupervisor, "S1P2")
	a, s := e.desk.as(agent), e.desk.as(sup)
	openedAt := cw.Clock.Now()
	if r, _ := e.desk.do("POST", "/agent/dossiers/"+ref+"/consulter", a, url.Values{"purpose": {"appointment"}}); r.StatusCode != 200 {
		t.Fatalf("agent opens: %d", r.StatusCode)
	}
	cw.Clock.Add(17 * time.Minute)
	supAt := cw.Clock.Now()
	if r, _ := e.desk.do("POST", "/agent/dossiers/"+ref+"/consulter", s, url.Values{"purpose": {"supervision"}}); r.StatusCode != 200 {
		t.Fatalf("supervisor opens: %d", r.StatusCode)
	}

	t.Run("each reading: unit, agent, when and why", func(t *testing.T) {
		got := section(t, fr.get("/suivi/"+ref).must(t, 200).Body, "access-title")
		mustHold(t, "FR access section", got,
			"Consulté par "+unit.Name+", agent n° A7F2, le "+frDates.DateTime(openedAt)+" — préparation du rendez-vous",
			"Consulté par "+unit.Name+", chef de service n° S1P2, le "+frDates.DateTime(supAt)+" — contrôle hiérarchique")
		if strings.Index(got, "S1P2") > strings.Index(got, "A7F2") {
			t.Error("the latest reading is not listed first")
		}
		got = section(t, en.get("/suivi/"+ref).must(t, 200).Body, "access-title")
		mustHold(t, "EN access section", got,
			"Viewed by "+unit.Name+", officer no. A7F2, on "+enDates.DateTime(openedAt)+" — preparing the appointment",
			"Viewed by "+unit.Name+", supervisor no. S1P2, on "+enDates.DateTime(supAt)+" — supervision")
	})

	xss := `Apportez la facture <script>alert(1)</script><img src=x onerror=alert(2)>`
	for _, n := range []url.Values{
		{"note": {xss}, "to": {"citizen"}},
		{"note": {"Interne : vérifier le numéro de série"}, "to": {"internal"}},
	} {
		if r, _ := e.desk.do("POST", "/agent/dossiers/"+ref+"/notes", a, n); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("note: %d", r.StatusCode)
		}
	}
	if r, _ := e.desk.do("POST", "/agent/dossiers/"+ref+"/attribuer", s, url.Values{"agent": {agent.AgentID}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", r.StatusCode)
	}

	t.Run("message to the citizen shown as inert text; internal note hidden; assignment", func(t *testing.T) {
		body := fr.get("/suivi/"+ref).must(t, 200).Body
		for _, raw := range []string{"<script>alert(1)", "<img src=x"} {
			if strings.Contains(body, raw) {
				t.Errorf("the note is rendered as HTML: %q in the page", raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Error("the note's text is not shown escaped")
		}
		tl := section(t, body, "timeline-title")
		mustHold(t, "FR timeline", tl, "Message du service "+xss, "Dossier confié à un agent — agent n° A7F2",
			"État du dossier mis à jour — En cours de traitement")
		if strings.Contains(body, "vérifier le numéro de série") {
			t.Error("an internal note is shown to the citizen")
		}
		mustHold(t, "EN timeline", section(t, en.get("/suivi/"+ref).must(t, 200).Body, "timeline-title"),
			"Message from the station "+xss, "Case entrusted to an officer — officer no. A7F2")
	})

	t.Run("conversion into a formal complaint", func(t *testing.T) {
		// The agent reads the answers with the citizen (an access for
		// "conversion"), then records the complaint.
		if r, _ := e.desk.do("GET", "/agent/dossiers/"+ref+"/convertir", a, nil); r.StatusCode != 200 {
			t.Fatalf("conversion form: %d", r.StatusCode)
		}
		r, body := e.desk.do("POST", "/agent/dossiers/"+ref+"/convertir", a, convertForm(cw.Clock.Now()))
		if r.StatusCode != 200 {
			t.Fatalf("convert: %d\n%s", r.StatusCode, excerpt(body))
		}
		pl := regexp1(t, `(PL-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`, body)
		frBody := fr.get("/suivi/"+ref).must(t, 200).Body
		mustHold(t, "FR page", visible(frBody), "Votre pré-plainte est devenue la plainte n° "+pl+".", "Plainte signée")
		mustHold(t, "FR timeline", section(t, frBody, "timeline-title"), "Plainte enregistrée — Votre pré-plainte est devenue la plainte n° "+pl)
		mustHold(t, "FR access section", section(t, frBody, "access-title"), "— enregistrement de la plainte")
		mustHold(t, "EN page", visible(en.get("/suivi/"+ref).must(t, 200).Body), "Your pre-complaint has become complaint no. "+pl+".")
	})
}

func TestStatusShowsClosure(t *testing.T) {
	e := newStatusEnv(t)
	cw := e.desk.cw
	a := e.desk.as(cw.Principal(cw.Units[0], account.RoleAgent, "A7F2"))
	for _, tc := range []struct {
		reason, redirect string
		fr, en           []string
	}{
		{"wrong_service", "signal_conso",
			[]string{"Motif de la clôture\u202f: votre demande relève d’un autre service.", "Le service à contacter\u202f: SignalConso (litige avec une entreprise)"},
			[]string{"Reason for closing: your request is a matter for another service.", "The service to contact: SignalConso (dispute with a business)"}},
		{"no_show", "",
			[]string{"Motif de la clôture\u202f: vous ne vous êtes pas présenté(e) au rendez-vous."},
			[]string{"Reason for closing: you did not come to the appointment."}},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			sub := cw.Submit(cw.Units[0], caseworktest.Filing{})
			ref := sub.Ref
			r, _ := e.desk.do("POST", "/agent/dossiers/"+ref+"/cloturer", a, url.Values{"reason": {tc.reason}, "redirect": {tc.redirect}})
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("close: %d", r.StatusCode)
			}
			frBody := e.citizen("fr", ref, sub.TrackingCode.String()).get("/suivi/"+ref).must(t, 200).Body
			mustHold(t, "FR page", visible(frBody), append(tc.fr, "Clôturée")...)
			mustHold(t, "FR timeline", section(t, frBody, "timeline-title"), "Dossier clôturé — ")
			enBody := e.citizen("en", ref, sub.TrackingCode.String()).get("/suivi/"+ref).must(t, 200).Body
			mustHold(t, "EN page", visible(enBody), tc.en...)
			if tc.redirect != "" {
				rd, _ := casework.RedirectByCode(tc.redirect)
				if !strings.Contains(frBody, `<a class="link-target" href="`+rd.URL+`">`+rd.Name+`</a>`) {
					t.Errorf("no link to %s", rd.URL)
				}
			}
			// Closing is not a reading of personal data.
			mustHold(t, "FR access section", section(t, frBody, "access-title"), "Personne n’a encore consulté")
		})
	}
}

// TestStatusKeysForAgentsWords: every value the status page translates
// from the case desk's events has its message in both languages.
func TestStatusKeysForAgentsWords(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range casework.CloseReasons {
		keys = append(keys, "status.reason."+string(r))
	}
	for _, r := range casework.Redirects {
		keys = append(keys, "cases.redirect."+r.Code)
	}
	for _, p := range casework.Purposes {
		keys = append(keys, "cases.purpose."+string(p))
	}
	for _, r := range account.Roles {
		keys = append(keys, "cases.role."+string(r))
	}
	for _, k := range keys {
		for lang, c := range cats {
			if !c.Has(k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}
