package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/complaint"
)

// TestJourneyAbroad: a visitor with a German address, robbed on a train,
// files a pre-complaint; the plate typed the usual way is kept in its
// canonical form, an empty one passes.
func TestJourneyAbroad(t *testing.T) {
	for _, tc := range []struct {
		accept, germany, where, near, foreign string
		hours                                 []string // of the two seeded units
		notHours                              string
	}{
		{"fr-FR", "Allemagne", "Comment décrire le lieu", "près de Valence", "plaque étrangère",
			[]string{"Du lundi au vendredi, 8\u202fh\u202f30\u202f–\u2060\u202f19\u202fh", "Accueil 24\u202fh/24, 7\u202fj/7"}, "Monday"},
		{"en-GB", "Germany", "How can you describe the place", "near Valence", "foreign plate",
			[]string{"Monday–Friday 8:30\u00a0am–7\u00a0pm", "Open 24/7"}, "lundi"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.accept)
			c.post("/preplainte", answers()).must(t, 200)

			// France is chosen by default, and Germany offered.
			c.get("/preplainte/identite").must(t, 200, `<option value="FR" selected>France</option>`,
				`<option value="DE">`+tc.germany+`</option>`, `autocomplete="country"`)
			tourist := with(identity(), "country", "DE", "address", "Hauptstraße 5", "postcode", "80331", "city", "München")
			// A German postcode is no French one: with France as the country,
			// it is refused beside the field, with what was typed kept.
			c.post("/preplainte/identite", with(tourist, "country", "FR", "postcode", "803311")).
				must(t, http.StatusUnprocessableEntity, `href="#f-postcode"`, `id="f-postcode-error"`, `value="803311"`)
			for _, postcode := range []string{"", "80331"} { // many countries have no postcode
				if r := c.post("/preplainte/identite", with(tourist, "postcode", postcode)).must(t, 200); r.Path != "/preplainte/faits" {
					t.Fatalf("a German address with postcode %q refused: at %s\n%s", postcode, r.Path, excerpt(r.Body))
				}
			}

			train := url.Values{
				"facts_from": {"2026-11-18T14:30"}, "place_kind": {"elsewhere"},
				"place_details": {"TGV 6603 Paris–Marseille, voiture 12"}, "place_near": {""},
				"description": {"Mon sac a été volé pendant que je dormais dans le train."},
			}
			c.get("/preplainte/faits").must(t, 200, tc.where, `name="place_kind" value="address" checked`, `name="place_details"`)
			c.post("/preplainte/faits", with(train, "place_details", "")).
				must(t, http.StatusUnprocessableEntity, `href="#f-place_details"`).lacks(t, `href="#f-place_postcode"`)
			if r := c.post("/preplainte/faits", train).must(t, 200); r.Path != "/preplainte/objets" {
				t.Fatalf("a train without a postcode refused: at %s\n%s", r.Path, excerpt(r.Body))
			}

			// An empty plate passes; "ab 123 cd" becomes AB-123-CD; a
			// German one is kept and said foreign.
			car := with(items(), "items.1.kind", "vehicle", "items.1.description", "Golf", "items.1.plate", "")
			c.post("/preplainte/objets", car).must(t, 200).lacks(t, `id="f-items-1-plate-error"`)
			car = with(car, "items.1.plate", "ab 123 cd", "items.2.kind", "vehicle", "items.2.description", "Passat",
				"items.2.plate", "m ab 1234", "items.2.plate_country", "DE")
			c.post("/preplainte/objets", car).must(t, 200)
			c.get("/preplainte/objets").must(t, 200, `value="AB-123-CD"`, `value="M AB 1234"`, `<option value="DE" selected>`)

			c.post("/preplainte/preuves", url.Values{}).must(t, 200)
			// No postcode anywhere in France: every station is offered, to search.
			// Hours in the page's language.
			r := c.get("/preplainte/commissariat").must(t, 200, append([]string{`name="unit_id"`, `id="f-q"`}, tc.hours...)...).lacks(t, tc.notHours)
			if !strings.Contains(r.Body, `name="q" value=""`) {
				t.Errorf("station search prefilled for a visitor without a French postcode")
			}
			c.post("/preplainte/faits", with(train, "place_near", "Valence")).must(t, 200)
			c.get("/preplainte/commissariat").must(t, 200, `name="q" value="Valence"`)

			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}}).must(t, 200)
			slot := slotRE.FindStringSubmatch(r.Body)[1]
			c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slot}}).
				must(t, 200, "Hauptstraße 5", "80331 München", tc.germany, "TGV 6603 Paris–Marseille, voiture 12", tc.near,
					"AB-123-CD", "M AB 1234 ("+tc.germany+")").
				lacks(t, "AB-123-CD ("+tc.foreign)
			r = c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, 200)

			// The PDF receipt gives the station's phone and hours, in the
			// page's language.
			ref := refRE.FindStringSubmatch(r.Body)[1]
			c.get("/suivi/"+ref+"/recu.pdf").must(t, 200, "%PDF")
			got := e.receipt[len(e.receipt)-1]
			if got.UnitPhone != "04 78 00 00 00" || len(got.UnitHours) != 1 || got.UnitHours[0] != tc.hours[0] {
				t.Errorf("receipt: phone %q, hours %q; want %q", got.UnitPhone, got.UnitHours, tc.hours[0])
			}
		})
	}
}

// TestAgentFileAbroad: the agent opening the file reads the country of the
// address, the place described without a postcode and the foreign plate.
func TestAgentFileAbroad(t *testing.T) {
	e := newDeskEnv(t)
	unit := e.cw.Units[0]
	sub := e.cw.Submit(unit, caseworktest.Filing{Edit: func(f *complaint.Form) {
		f.Country, f.Address, f.Postcode, f.City = "DE", "Hauptstraße 5", "80331", "München"
		f.PlaceKind, f.PlaceDetails, f.PlaceNear = complaint.PlaceElsewhere, "TGV 6603 Paris–Marseille, voiture 12", "Valence"
		f.Items = append(f.Items, complaint.Item{Kind: "vehicle", Description: "Golf", Plate: "M AB 1234", PlateCountry: "DE"})
	}})
	a := e.as(e.cw.Principal(unit, account.RoleAgent, "A7F2"))
	r, body := e.do("POST", "/agent/dossiers/"+sub.Ref+"/consulter", a, url.Values{"purpose": {"processing"}})
	if r.StatusCode != 200 {
		t.Fatalf("open: %d", r.StatusCode)
	}
	for _, want := range []string{"Hauptstraße 5, 80331 München, Allemagne", "TGV 6603 Paris–Marseille, voiture 12 — près de Valence", "M AB 1234 (Allemagne)"} {
		if !strings.Contains(body, want) {
			t.Errorf("agent's file lacks %q", want)
		}
	}
}

// TestLogInPlainWords: the status page and the printable receipt say in
// plain words that the filing is sealed; the index, the tree size, the
// verify command and the JSON receipt are behind "For specialists".
func TestLogInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		lang, sealed, spec string
		jargon             []string
	}{
		{"fr", "Votre dépôt est scellé dans un registre public\u202f: personne ne peut le modifier ou le supprimer sans que cela se voie.", "Pour les spécialistes",
			[]string{"à l’index", "état signé", "verify receipt", "recu.json", "reçu JSON", "(JSON)"}},
		{"en", "Your filing is sealed in a public register: nobody can change or delete it without it showing.", "For specialists",
			[]string{"at index", "signed state", "verify receipt", "recu.json", "JSON receipt", "(JSON)"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			_, seq := withLog(t, e)
			c := e.client(tc.lang)
			ref, _ := c.submit()
			seq()
			for _, page := range []string{"/suivi/" + ref, "/suivi/" + ref + "/recu"} {
				const details = `<details class="details log-specialists">`
				body := c.get(page).must(t, 200, tc.sealed, details, "<summary>"+tc.spec+"</summary>").Body
				open := strings.Index(body, details)
				end := open + strings.Index(body[open:], "</details>")
				if strings.Index(body, tc.sealed) > open {
					t.Errorf("%s: the plain words come after the specialists' details", page)
				}
				outside := body[:open] + body[end:]
				inside := body[open:end]
				for _, j := range tc.jargon {
					if strings.Contains(outside, j) {
						t.Errorf("%s: %q outside the specialists' details", page, j)
					}
				}
				if !strings.Contains(inside, "recu.json") || !strings.Contains(inside, "verify receipt") {
					t.Errorf("%s: the specialists' details lack the receipt link or the command", page)
				}
			}
			// Refreshing the proof opens the details, to see the numbers.
			c.post("/suivi/"+ref+"/preuve", url.Values{}).must(t, 200, `<details class="details log-specialists" open>`)
		})
	}
}

// TestConvertAbroad: at the desk, the agent sees the country, the place
// without a postcode and the plate's country among the answers, and
// converting them as shown keeps them, on the record too.
func TestConvertAbroad(t *testing.T) {
	e := newDeskEnv(t)
	unit := e.cw.Units[0]
	sub := e.cw.Submit(unit, caseworktest.Filing{Edit: func(f *complaint.Form) {
		f.Country, f.Address, f.Postcode, f.City = "DE", "Hauptstraße 5", "", "München"
		f.PlaceKind, f.PlaceDetails, f.PlaceNear = complaint.PlaceElsewhere, "TGV 6603 Paris–Marseille", ""
		f.PlacePostcode, f.PlaceCity = "", ""
		f.Items = []complaint.Item{{Kind: "vehicle", Description: "Golf", Plate: "M AB 1234", PlateCountry: "DE"}}
	}})
	a := e.as(e.cw.Principal(unit, account.RoleAgent, "A7F2"))
	r, body := e.do("GET", "/agent/dossiers/"+sub.Ref+"/convertir", a, nil)
	if r.StatusCode != 200 {
		t.Fatalf("conversion form: %d", r.StatusCode)
	}
	for _, want := range []string{`<option value="DE" selected>Allemagne</option>`, `name="place_kind" value="elsewhere" checked`,
		`value="TGV 6603 Paris–Marseille"`, `name="items.0.plate_country"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conversion form lacks %s", want)
		}
	}
	form := url.Values{
		"category": {"theft"}, "last_name": {"Martin"}, "first_name": {"Camille"}, "birth_date": {"1987-04-12"},
		"country": {"DE"}, "address": {"Hauptstraße 5"}, "postcode": {""}, "city": {"München"},
		"facts_from": {e.cw.Clock.Now().Add(-48 * time.Hour).In(complaint.Paris).Format("2006-01-02T15:04")},
		"place_kind": {"elsewhere"}, "place_details": {"TGV 6603 Paris–Marseille"}, "place_postcode": {""}, "place_city": {""},
		"description":  {"Vol de mon vélo attaché devant la gare, le cadenas a été coupé."},
		"items.0.kind": {"vehicle"}, "items.0.description": {"Golf"}, "items.0.plate": {"M AB 1234"}, "items.0.plate_country": {"DE"},
		"id_document": {"passport"}, "identity_checked": {"yes"},
	}
	r, body = e.do("POST", "/agent/dossiers/"+sub.Ref+"/convertir", a, form)
	if r.StatusCode != 200 {
		t.Fatalf("convert: %d\n%s", r.StatusCode, excerpt(body))
	}
	pl := regexp1(t, `(PL-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`, body)
	pdf, err := e.cw.Cases.ComplaintRecord(t.Context(), e.cw.Principal(unit, account.RoleAgent, "A7F2"), pl)
	if err != nil || len(pdf) == 0 {
		t.Fatalf("complaint record: %v", err)
	}
}
