package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/report"
)

var campaignRefRE = regexp.MustCompile(`href="/agent/campagnes/(C-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})"`)

// TestCampaignPages: an analyst lists the campaigns, opens one from a
// report, reads its values (a known-good one said not to link, and why),
// routes it after confirming, with counts, and records an outcome that
// each reporter reads; an agent of a unit may do none of it, and a
// cross-origin post is refused.
func TestCampaignPages(t *testing.T) {
	d := newReportDesk(t)
	unit := d.cw.Units[0]
	an := d.as(d.cw.Principal(unit, account.RoleAnalyst, "AN01"))
	ag := d.as(d.cw.Principal(unit, account.RoleAgent, "AG01"))
	ad := d.as(d.cw.Principal(unit, account.RoleAdmin, "AD01"))
	origin := []string{"Origin", d.srv.URL}
	var filed []*report.Filed
	for range 3 {
		f, err := d.reports.Submit(t.Context(), report.Input{Category: report.CatPhishing, Lang: "fr",
			Seen: []report.SeenInput{{Channel: "sms", Value: "Colis : https://colis-suivi.example.com/pay 06 12 34 56 78"},
				{Channel: "url", Value: "https://www.gmail.com/"}}})
		if err != nil {
			t.Fatal(err)
		}
		filed = append(filed, f)
	}
	// Closed: left alone by the bulk actions.
	for _, svc := range []string{"cyber", "spam"} {
		if err := d.reports.RecordOutcome(t.Context(), d.cw.Principal(unit, account.RoleAnalyst, "AN01"), filed[2].Ref, svc, report.OutcomeRemoved); err != nil {
			t.Fatal(err)
		}
	}

	_, body := d.do("GET", "/agent/signalements/"+filed[0].Ref, an, nil)
	m := campaignRefRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the report page does not link its campaign\n%s", excerpt(body))
	}
	ref := m[1]
	r, body := d.do("GET", "/agent/campagnes", an, nil)
	if r.StatusCode != 200 || !strings.Contains(body, `href="/agent/campagnes/`+ref+`"`) || !strings.Contains(body, "Hameçonnage (faux message de la banque, de la poste, des impôts…) (3)") {
		t.Errorf("list: %d\n%s", r.StatusCode, excerpt(body))
	}
	if _, body := d.do("GET", "/agent/campagnes?taille=4", an, nil); strings.Contains(body, ref) {
		t.Error("a campaign of 3 is listed at 4 reports or more")
	}
	if r, body := d.do("GET", "/agent/campagnes?taille=zero", an, nil); r.StatusCode != 200 || !strings.Contains(body, `href="#f-taille"`) {
		t.Errorf("a bad size: %d", r.StatusCode)
	}
	path := "/agent/campagnes/" + ref
	r, body = d.do("GET", path, an, nil)
	for _, want := range []string{"33 6 12 34 56 78", "3 dans la campagne, 3 en tout", "Ne relie pas : valeur connue, messagerie grand public — Gmail (Google)",
		"Signalements de la campagne reçus par jour", `href="/agent/signalements/` + filed[1].Ref + `"`, "<caption"} {
		if !strings.Contains(body, strings.ReplaceAll(want, " : ", "\u202f: ")) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	for _, p := range []string{"/agent/campagnes", path, "/agent/valeurs-sures"} {
		if r, _ := d.do("GET", p, ag, nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("agent on %s: %d, want 403", p, r.StatusCode)
		}
	}

	// Route: field errors kept, then a confirmation, then the counts.
	r, body = d.do("POST", path+"/orienter", an, url.Values{"service": {"dgccrf"}}, origin...)
	if r.StatusCode != 422 || !strings.Contains(body, `href="#f-route-reason"`) || !strings.Contains(body, `<option value="dgccrf" selected>`) {
		t.Errorf("route without reason: %d\n%s", r.StatusCode, excerpt(body))
	}
	form := url.Values{"service": {"dgccrf"}, "reason": {"Faux colis"}}
	r, body = d.do("POST", path+"/orienter", an, form, origin...)
	if r.StatusCode != 200 || !strings.Contains(body, `name="confirmer" value="1"`) || !strings.Contains(body, "Faux colis") {
		t.Fatalf("confirmation: %d\n%s", r.StatusCode, excerpt(body))
	}
	if v, _ := d.reports.View(t.Context(), filed[0].Ref); len(v.Routes) != 2 {
		t.Fatal("the confirmation step routed reports")
	}
	form.Set("confirmer", "1")
	if r, _ := d.do("POST", path+"/orienter", an, form, "Origin", "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin: %d", r.StatusCode)
	}
	if r, _ := d.do("POST", path+"/orienter", ad, form, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("admin routes a campaign: %d", r.StatusCode)
	}
	if r, _ := d.do("POST", path+"/orienter", ag, form, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("agent routes a campaign: %d", r.StatusCode)
	}
	r, _ = d.do("POST", path+"/orienter", an, form, origin...)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?") {
		t.Fatalf("route: %d %s", r.StatusCode, loc)
	}
	_, body = d.do("GET", loc, an, nil)
	for _, want := range []string{"2 signalement(s) transmis à\u202f: DGCCRF (protection des consommateurs)", "0 déjà chez ce service", "1 clos, non touchés"} {
		if !strings.Contains(body, want) {
			t.Errorf("route result lacks %q\n%s", want, excerpt(body))
		}
	}

	// The outcome, across the campaign, reaches each reporter.
	out := url.Values{"service": {"dgccrf"}, "outcome": {"site_blocked"}, "confirmer": {"1"}}
	r, _ = d.do("POST", path+"/issue", an, out, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("outcome: %d", r.StatusCode)
	}
	_, body = d.do("GET", r.Header.Get("Location"), an, nil)
	if !strings.Contains(body, "Suite enregistrée sur 2 signalement(s)") {
		t.Errorf("outcome result\n%s", excerpt(body))
	}
	for _, f := range filed[:2] {
		if page := d.reporter(f.Ref, f.TrackingCode.String())(); !strings.Contains(page, "Site bloqué") || !strings.Contains(page, "Faux colis") {
			t.Errorf("%s: the reporter does not read the outcome", f.Ref)
		}
	}

	// Publishing a shared value.
	key := "phone:+33612345678"
	r, _ = d.do("POST", path+"/publier", an, url.Values{"key": {key}}, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", r.StatusCode)
	}
	if page := d.reporter(filed[0].Ref, filed[0].TrackingCode.String())(); !strings.Contains(page, "Signalé 3 fois en tout") {
		t.Error("published value not shown")
	}
	if r, _ := d.do("POST", path+"/publier", an, url.Values{"key": {"phone:+33100000000"}}, origin...); r.StatusCode != http.StatusNotFound {
		t.Errorf("publishing a value not of the campaign: %d", r.StatusCode)
	}
}

// TestCampaignDuplicatesPage: closing duplicates is confirmed, said with
// counts, and the duplicate's reporter reads that it was joined with an
// earlier report, not which.
func TestCampaignDuplicatesPage(t *testing.T) {
	d := newReportDesk(t)
	an := d.as(d.cw.Principal(d.cw.Units[0], account.RoleAnalyst, "AN01"))
	origin := []string{"Origin", d.srv.URL}
	var filed []*report.Filed
	for _, hs := range [][]string{{"@a", "@b"}, {"@b"}} {
		var seen []report.SeenInput
		for _, h := range hs {
			seen = append(seen, report.SeenInput{Channel: "account", Platform: "X", Value: h})
		}
		f, err := d.reports.Submit(t.Context(), report.Input{Category: report.CatSpam, Seen: seen})
		if err != nil {
			t.Fatal(err)
		}
		filed = append(filed, f)
		d.cw.Clock.Add(time.Second)
	}
	_, body := d.do("GET", "/agent/signalements/"+filed[0].Ref, an, nil)
	m := campaignRefRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no campaign link")
	}
	path := "/agent/campagnes/" + m[1]
	if r, body := d.do("POST", path+"/doublons", an, url.Values{}, origin...); r.StatusCode != 200 || !strings.Contains(body, "Clore les doublons parmi les 2 signalements") {
		t.Fatalf("confirmation: %d\n%s", r.StatusCode, excerpt(body))
	}
	r, _ := d.do("POST", path+"/doublons", an, url.Values{"confirmer": {"1"}}, origin...)
	_, body = d.do("GET", r.Header.Get("Location"), an, nil)
	if !strings.Contains(body, "1 signalement(s) clos comme doublons") {
		t.Errorf("result\n%s", excerpt(body))
	}
	page := d.reporter(filed[1].Ref, filed[1].TrackingCode.String())()
	if !strings.Contains(page, "il y a été joint") || strings.Contains(page, filed[0].Ref) || !strings.Contains(page, "Il n’a pas encore été transmis") {
		t.Errorf("the duplicate's reporter page\n%s", excerpt(page))
	}
	ctx := t.Context()
	if err := d.reports.AddRoute(ctx, d.cw.Principal(d.cw.Units[0], account.RoleAnalyst, "AN01"), filed[0].Ref, report.SvcSpam, "campagne de spam"); err != nil {
		t.Fatal(err)
	}
	if err := d.reports.RecordOutcome(ctx, d.cw.Principal(d.cw.Units[0], account.RoleAnalyst, "AN01"), filed[0].Ref, report.SvcSpam, report.OutcomeNumberCut); err != nil {
		t.Fatal(err)
	}
	page = d.reporter(filed[1].Ref, filed[1].TrackingCode.String())()
	if !strings.Contains(page, "Ce qu’il est advenu du signalement identique") || !strings.Contains(page, "campagne de spam") || strings.Contains(page, filed[0].Ref) {
		t.Errorf("the duplicate's reporter does not read the original's outcome\n%s", excerpt(page))
	}
}

// TestKnownGoodPage: analysts read the list; a supervisor adds a value
// (field errors beside the fields, what was typed kept) and removes it.
func TestKnownGoodPage(t *testing.T) {
	d := newReportDesk(t)
	unit := d.cw.Units[0]
	an := d.as(d.cw.Principal(unit, account.RoleAnalyst, "AN01"))
	su := d.as(d.cw.Principal(unit, account.RoleSupervisor, "SU01"))
	origin := []string{"Origin", d.srv.URL}
	r, body := d.do("GET", "/agent/valeurs-sures", an, nil)
	if r.StatusCode != 200 || !strings.Contains(body, "gmail.com") || strings.Contains(body, `method="post" action="/agent/valeurs-sures"`) ||
		strings.Contains(body, "/agent/valeurs-sures/retirer") || !strings.Contains(body, "ne relie jamais") {
		t.Errorf("analyst's list: %d", r.StatusCode)
	}
	if _, body := d.do("GET", "/agent/valeurs-sures?categorie=bank", an, nil); strings.Contains(body, "gmail.com") || !strings.Contains(body, "Société Générale") {
		t.Error("the filter by category")
	}
	add := url.Values{"kind": {"domain"}, "value": {"Exemple-Banque.example"}, "category": {"bank"}, "label": {"Banque Exemple"}}
	if r, _ := d.do("POST", "/agent/valeurs-sures", an, add, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst adds: %d", r.StatusCode)
	}
	bad := url.Values{"kind": {"phone"}, "value": {"pas un numéro"}, "category": {""}, "label": {"Banque Exemple"}}
	r, body = d.do("POST", "/agent/valeurs-sures", su, bad, origin...)
	if r.StatusCode != 422 || !strings.Contains(body, `href="#f-kg-value"`) || !strings.Contains(body, `href="#f-kg-category"`) ||
		!strings.Contains(body, `value="pas un numéro"`) || !strings.Contains(body, `<option value="phone" selected>`) || !strings.Contains(body, `value="Banque Exemple"`) {
		t.Errorf("bad add: %d\n%s", r.StatusCode, excerpt(body))
	}
	r, _ = d.do("POST", "/agent/valeurs-sures", su, add, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", r.StatusCode)
	}
	_, body = d.do("GET", r.Header.Get("Location"), su, nil)
	if !strings.Contains(body, "domain:exemple-banque.example figure sur la liste") || !strings.Contains(body, "SU01") {
		t.Errorf("after adding\n%s", excerpt(body))
	}
	if r, _ := d.do("POST", "/agent/valeurs-sures", su, add, origin...); r.StatusCode != 422 {
		t.Errorf("adding twice: %d", r.StatusCode)
	}
	if r, _ := d.do("POST", "/agent/valeurs-sures/retirer", an, url.Values{"key": {"domain:exemple-banque.example"}}, origin...); r.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst removes: %d", r.StatusCode)
	}
	r, _ = d.do("POST", "/agent/valeurs-sures/retirer", su, url.Values{"key": {"domain:exemple-banque.example"}}, origin...)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if _, body := d.do("GET", "/agent/valeurs-sures?texte=exemple-banque", su, nil); strings.Contains(body, "<code>exemple-banque.example</code>") {
		t.Error("still listed after removal")
	}
}
