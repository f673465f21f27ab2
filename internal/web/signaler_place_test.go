package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/report"
)

// TestReportPlace: the département is optional; a wrong one is said
// beside its field, in the summary, with everything typed kept; one given
// as a postcode is kept as its département only, and the status page says
// in plain words why the report went where it went.
func TestReportPlace(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.get("/signaler/signalement?categorie=phishing").must(t, http.StatusOK,
		`<label class="label" for="f-lieu">Votre département, ou celui des faits`, `name="lieu"`, `autocomplete="postal-code"`,
		`name="etranger" value="1">`, "Je vis à l’étranger")

	bad := phishingSMS()
	bad.Set("lieu", "Lyon 3e")
	c.post("/signaler/signalement", bad).must(t, http.StatusUnprocessableEntity,
		`href="#f-lieu"`, "Indiquez un code postal français (par exemple 69003)", `value="Lyon 3e"`, `aria-invalid="true"`,
		"je n’attends aucun colis", `value="18/11/2026"`, "Colis-Suivi.example.com")
	both := phishingSMS()
	both.Set("lieu", "69")
	both.Set("etranger", "1")
	r := c.post("/signaler/signalement", both).must(t, http.StatusUnprocessableEntity, "pas les deux", `value="69"`)
	if !strings.Contains(r.Body, `name="etranger" value="1" checked>`) {
		t.Error("the ticked box was not kept")
	}

	// A rule for the Rhône sends the report to the local unit, which the
	// reason names with its territory.
	sup := account.Principal{Pseudonym: "SU01", Role: account.RoleSupervisor}
	if _, err := e.web.d.Reports.SaveRule(t.Context(), sup, report.Rule{Name: "Rhône", Active: true, Places: []string{"69"},
		Services: []string{report.SvcLocal}, WhyFR: "Les faits du Rhône sont suivis sur place.", WhyEN: "Facts in the Rhône are followed up locally."}); err != nil {
		t.Fatal(err)
	}
	good := phishingSMS()
	good.Set("lieu", "69003")
	good.Set("vu.0.valeur", "Colis bloqué, rappelez le +44 20 7946 0123")
	r = c.post("/signaler/signalement", good).must(t, http.StatusOK, "Votre signalement est envoyé")
	m := sgRefRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no reference:\n%s", excerpt(r.Body))
	}
	c.get("/suivi/"+m[1]).must(t, http.StatusOK, "<dt>Lieu indiqué</dt><dd>Rhône (69)</dd>",
		"Les faits du Rhône sont suivis sur place. Unité locale du territoire\u202f: Rhône (69).",
		"Pays du numéro de téléphone\u202f: Royaume-Uni.")
	v, err := e.web.d.Reports.View(t.Context(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	if v.Place != "69" {
		t.Errorf("place kept: %q, want the département only", v.Place)
	}
	en := e.client("en")
	en.post("/signaler/signalement", with(bad, "lieu", "99")).must(t, http.StatusUnprocessableEntity, "Give a French postcode", `value="99"`)
}

// TestRulePlaceEditing: the rule editor takes places, says which token is
// wrong beside the field with what was typed kept, and tries a rule with
// places over the last 30 days.
func TestRulePlaceEditing(t *testing.T) {
	d := newReportDesk(t)
	unit := d.cw.Units[0]
	su := d.as(d.cw.Principal(unit, account.RoleSupervisor, "SU01"))
	origin := []string{"Origin", d.srv.URL}
	if _, err := d.reports.Submit(t.Context(), report.Input{Category: report.CatThreats, Place: "13001",
		Seen: []report.SeenInput{{Channel: "phone", Value: "01 99 00 77 01"}}}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"name": {"Bouches-du-Rhône"}, "places": {"13, 13001"}, "services": {"local"}, "active": {"1"},
		"why_fr": {"Suivi sur place."}, "why_en": {"Followed up locally."}, "action": {"essayer"}}
	r, body := d.do("POST", "/agent/regles", su, form, origin...)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "«\u202f13001\u202f» n’est pas un lieu") ||
		!strings.Contains(body, `value="13, 13001"`) || !strings.Contains(body, `href="#f-places"`) {
		t.Errorf("bad place: %d\n%s", r.StatusCode, excerpt(body))
	}
	r, body = d.do("POST", "/agent/regles", su, with(form, "places", "13; be"), origin...)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "cette règle en aurait orienté 1") ||
		!strings.Contains(body, "Bouches-du-Rhône (13)\u202f: 1") || !strings.Contains(body, `value="13, BE"`) {
		t.Errorf("dry run by place: %d\n%s", r.StatusCode, excerpt(body))
	}
	if _, body := d.do("GET", "/agent/regles", su, nil); !strings.Contains(body, "selon le lieu\u202f: numéro ou IBAN hors de France") {
		t.Errorf("the default rule r-abroad is not listed with its place:\n%s", excerpt(body))
	}
}
