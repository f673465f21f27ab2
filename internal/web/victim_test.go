package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// victimReport is a phishing report by a reporter who lost money: an SMS
// and the IBAN the money went to.
func victimReport() url.Values {
	return url.Values{
		"categorie": {"phishing"}, "action": {"envoyer"},
		"vu.0.canal": {"sms"}, "vu.0.valeur": {"Votre colis est bloqué : https://colis-suivi.example.com/pay"},
		"vu.1.canal": {"iban"}, "vu.1.valeur": {"FR76 3000 6000 0112 3456 7890 189"},
		"vu_le": {"14/03/2026"}, "recit": {"J’ai payé 1 240 € de « frais de douane » par virement."},
		"victime": {"lost_money"},
	}
}

// otherRef is ref with its last character changed, so it names another
// case (never ref itself, whatever its last character is).
func otherRef(ref string) string {
	last := byte('0')
	if ref[len(ref)-1] == last {
		last = '1'
	}
	return ref[:len(ref)-1] + string(last)
}

var (
	ppLinkRE = regexp.MustCompile(`<p class="ref">(PP-[0-9A-Z-]+)</p>`)
)

// TestVictimPath: from the sent page of a report whose reporter lost
// money, a pre-complaint starts with the kind, the account, the day and
// the values of the report — only in the reporter's browser; the report
// stays as filed until the pre-complaint is submitted, which links both
// cases; the reporter's, the agents' and the analysts' pages show the
// link, as a link only to those who may follow it.
func TestVictimPath(t *testing.T) {
	d := newReportDesk(t)
	pub := &env{t: t, srv: d.srv}
	unit := d.cw.Units[0]
	c := pub.client("fr")
	sent := c.post("/signaler/signalement", victimReport()).must(t, http.StatusOK, "Votre signalement est envoyé",
		"Déposer une pré-plainte avec ces éléments", "ne sera plus anonyme pour elle", `action="/signaler/preplainte"`)
	m := sgRefRE.FindStringSubmatch(sent.Body)
	if m == nil {
		t.Fatalf("no reference:\n%s", excerpt(sent.Body))
	}
	sg := m[1]
	sent.must(t, http.StatusOK, `name="signalement" value="`+sg+`"`)
	// Before the button, in plain words: the link, and no longer anonymous.
	if i, j := strings.Index(sent.Body, "ne sera plus anonyme"), strings.Index(sent.Body, "Déposer une pré-plainte avec ces éléments"); i > j {
		t.Error("the page says the report will no longer be anonymous after the button")
	}
	events := func(ref string) []casefile.Event {
		t.Helper()
		cs, _, err := d.cw.Store.CaseByRef(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := d.cw.Store.CaseEvents(t.Context(), cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	filed := events(sg)

	// Another browser, with the reference but not the reporter's cookie,
	// prefills nothing and starts no draft from it.
	other := pub.client("fr")
	r := other.post("/signaler/preplainte", url.Values{"signalement": {sg}}).lacks(t, "frais de douane", "FR76")
	if r.Path != "/signaler" {
		t.Errorf("without the cookie: at %s, want /signaler", r.Path)
	}
	elig := url.Values{"emergency": {"no"}, "violence": {"no"}, "author_known": {"no"}, "category": {"fraud"}, "signalement": {sg}}
	other.post("/preplainte", elig).must(t, http.StatusForbidden, "ne permet plus de reprendre votre signalement").lacks(t, `name="signalement"`)
	other.get("/preplainte/faits").lacks(t, "frais de douane")
	other.get("/preplainte?signalement="+sg).must(t, http.StatusOK).lacks(t, `name="signalement"`, "Votre pré-plainte part de votre signalement")
	// Nor does the reporter's browser for another report's reference.
	c.post("/preplainte", with(elig, "signalement", otherRef(sg))).must(t, http.StatusForbidden)

	// The button: the eligibility questions, the kind chosen from the report.
	r = c.post("/signaler/preplainte", url.Values{"signalement": {sg}})
	if r.Path != "/preplainte?signalement="+sg {
		t.Errorf("the button: at %s, want /preplainte?signalement=%s", r.Path, sg)
	}
	r.must(t, http.StatusOK,
		"Votre pré-plainte part de votre signalement "+sg, `name="signalement" value="`+sg+`"`, "Escroquerie, y compris sur internet")
	if !regexp.MustCompile(`value="fraud" checked`).MatchString(r.Body) {
		t.Errorf("the kind is not chosen:\n%s", excerpt(r.Body))
	}
	c.post("/preplainte", elig).must(t, http.StatusOK, "Code de reprise")
	c.post("/preplainte/identite", identity()).must(t, http.StatusOK)
	facts := c.get("/preplainte/faits").must(t, http.StatusOK, "repris ici ce que vous aviez écrit dans votre signalement "+sg,
		`value="2026-03-14T00:00"`, "frais de douane", "Éléments donnés dans le signalement "+sg,
		"IBAN\u202f: FR76 3000 6000 0112 3456 7890 189", "colis-suivi.example.com")
	_ = facts
	// Going back to the report, or pressing the button again, loses
	// nothing: the report is as filed, the same draft goes on.
	c.get("/signaler/envoye").must(t, http.StatusOK, sg)
	if r := c.post("/signaler/preplainte", url.Values{"signalement": {sg}}); r.Path != "/preplainte/faits" {
		t.Errorf("the button again: at %s, want the draft's step", r.Path)
	}
	if got := events(sg); len(got) != len(filed) {
		t.Errorf("the report changed before the pre-complaint was sent: %d events, was %d", len(got), len(filed))
	}

	c.post("/preplainte/faits", url.Values{"facts_from": {"2026-03-14T09:30"}, "place_kind": {"elsewhere"},
		"place_details": {"Par SMS puis sur un faux site"}, "description": {"J’ai payé 1 240 € de « frais de douane » par virement sur FR76 3000 6000 0112 3456 7890 189."}}).
		must(t, http.StatusOK)
	c.post("/preplainte/objets", url.Values{}).must(t, http.StatusOK)
	c.post("/preplainte/preuves", url.Values{}).must(t, http.StatusOK)
	r = c.post("/preplainte/commissariat", url.Values{"unit_id": {unit.ID}, "action": {"choose-unit"}}).must(t, http.StatusOK)
	slot := slotRE.FindStringSubmatch(r.Body)
	if slot == nil {
		t.Fatalf("no slot:\n%s", excerpt(r.Body))
	}
	c.post("/preplainte/commissariat", url.Values{"unit_id": {unit.ID}, "slot_id": {slot[1]}}).must(t, http.StatusOK,
		"Signalement relié", sg, "il ne sera plus anonyme pour la police")
	r = c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, http.StatusOK)
	pm := ppLinkRE.FindStringSubmatch(r.Body)
	if pm == nil {
		t.Fatalf("no pre-complaint reference:\n%s", excerpt(r.Body))
	}
	pp := pm[1]

	// Both cases record the link, naming the other's reference only.
	link := func(evs []casefile.Event) map[string]string {
		for _, e := range evs {
			if e.Type == casefile.EventLinked {
				return e.Data
			}
		}
		return nil
	}
	if got := link(events(pp)); len(got) != 1 || got["ref"] != sg {
		t.Errorf("pre-complaint's link: %v, want ref %s", got, sg)
	}
	if got := link(events(sg)); len(got) != 1 || got["ref"] != pp {
		t.Errorf("report's link: %v, want ref %s", got, pp)
	}
	cs, _, _ := d.cw.Store.CaseByRef(t.Context(), pp)
	if cs.LinkedRef != "" {
		t.Errorf("LinkedRef %q set: it is for conversions", cs.LinkedRef)
	}
	own, err := d.reports.Own(t.Context(), sg)
	if err != nil || own.Description != "J’ai payé 1 240 € de « frais de douane » par virement." {
		t.Errorf("the report's account changed: %+v %v", own, err)
	}

	// The reporter's status page of the report says so.
	c.get("/signaler/envoye").must(t, http.StatusOK)
	c.get("/suivi/"+sg).must(t, http.StatusOK, "Une pré-plainte ("+pp+") a été déposée à partir de ce signalement",
		"Une pré-plainte a été déposée à partir de ce signalement")

	// The agent of the unit sees the report's reference, as text: they
	// cannot open reports. A supervisor, who can, gets a link.
	ag := d.as(d.cw.Principal(unit, account.RoleAgent, "AG01"))
	sup := d.as(d.cw.Principal(unit, account.RoleSupervisor, "SU01"))
	an := d.as(d.cw.Principal(unit, account.RoleAnalyst, "AN01"))
	_, body := d.do("GET", "/agent/dossiers/"+pp, ag, nil)
	if !strings.Contains(body, "Signalement lié") || !strings.Contains(body, "<code>"+sg+"</code>") || strings.Contains(body, `href="/agent/signalements/`+sg) {
		t.Errorf("agent's pre-complaint page: linked report not shown as text:\n%s", excerpt(body))
	}
	if resp, _ := d.do("GET", "/agent/signalements/"+sg, ag, nil); resp.StatusCode == http.StatusOK {
		t.Error("the agent opens the report")
	}
	_, body = d.do("GET", "/agent/dossiers/"+pp, sup, nil)
	if !strings.Contains(body, `href="/agent/signalements/`+sg+`"`) {
		t.Errorf("supervisor's pre-complaint page: no link to the report:\n%s", excerpt(body))
	}
	// The analyst sees the pre-complaint's reference, as text.
	_, body = d.do("GET", "/agent/signalements/"+sg, an, nil)
	if !strings.Contains(body, "Pré-plainte liée") || !strings.Contains(body, "<code>"+pp+"</code>") || strings.Contains(body, `href="/agent/dossiers/`+pp) {
		t.Errorf("analyst's report page: linked pre-complaint not shown as text:\n%s", excerpt(body))
	}
	_, body = d.do("GET", "/agent/signalements/"+sg, sup, nil)
	if !strings.Contains(body, `href="/agent/dossiers/`+pp+`"`) {
		t.Errorf("supervisor's report page: no link to the pre-complaint")
	}
}

// TestVictimPathOnlyForVictims: a reporter who is not a victim is not
// offered the button.
func TestVictimPathOnlyForVictims(t *testing.T) {
	d := newReportDesk(t)
	c := (&env{t: t, srv: d.srv}).client("en")
	c.post("/signaler/signalement", with(victimReport(), "victime", "no")).must(t, http.StatusOK, "Your report has been sent").
		lacks(t, "File a pre-complaint with these details")
	c.post("/signaler/signalement", victimReport()).must(t, http.StatusOK, "File a pre-complaint with these details",
		"it will no longer be anonymous to them")
}
