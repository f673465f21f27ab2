package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestChangeKindFromReview: the review's kind of offence has a "Modifier"
// that asks the question again, then shows the items step with what the
// new kind asks (nothing typed dropped, the change said in words), then
// returns to the review; an online scam or something else points the way
// and leaves the draft as it was. In French and English.
func TestChangeKindFromReview(t *testing.T) {
	for _, tc := range []struct {
		lang                                string
		theft, vehicleTheft, fraud          string
		changed, kept, vehicleNeeded, toRev string
		choose, untouched, conflict         string
	}{
		{"fr", "Vol", "Vol de véhicule", "Escroquerie, hors internet",
			"La nature des faits est changée\u202f: «\u202fVol\u202f» devient «\u202fVol de véhicule\u202f».",
			"Rien de ce que vous aviez saisi n’a été effacé.", "Pour un vol de véhicule, indiquez le véhicule parmi les objets.",
			"Enregistrer et revenir au récapitulatif", "Choisissez ce dont vous êtes victime",
			"Votre pré-plainte en cours n’a pas été modifiée, ni envoyée", "modifiée depuis une autre fenêtre"},
		{"en", "Theft", "Vehicle theft", "Fraud, not online",
			"The kind of offence has changed: “Theft” is now “Vehicle theft”.",
			"Nothing you typed has been deleted.", "For a vehicle theft, list the vehicle among the items.",
			"Save and return to the review", "Choose what happened to you",
			"Your pre-complaint in progress has not been changed, nor sent", ""},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			// Before the items step, a change goes on where the draft stands.
			c.post("/preplainte", answers()).must(t, 200)
			if r := c.post(kindPath, url.Values{"category": {"burglary"}}).must(t, 200); r.Path != "/preplainte/identite" {
				t.Fatalf("kind changed before the items: at %s", r.Path)
			}

			c.fileDraft()
			review := func(wants ...string) resp {
				t.Helper()
				return c.get("/preplainte/recapitulatif").must(t, 200, wants...)
			}
			// fileDraft answered "theft" again on a fresh draft.
			review(`href="/preplainte/infraction"`, "<dd>"+tc.theft+"</dd>", `href="/preplainte/identite?recap=1"`)

			r := c.get(kindPath).must(t, 200, `value="theft" checked`, `value="online_scam"`, `name="version"`)
			version := regexp1(t, `name="version" value="(\d+)"`, r.Body)

			// No answer: said beside the question, the summary leading there.
			r = c.post(kindPath, url.Values{"version": {version}}).must(t, http.StatusUnprocessableEntity, tc.choose, `href="#f-category"`, `id="f-category"`)

			// A vehicle theft: the items step says what changed and what
			// the new kind asks; the phone typed is still there.
			r = c.post(kindPath, url.Values{"category": {"vehicle_theft"}, "version": {version}}).must(t, 200,
				tc.changed, tc.kept, tc.vehicleNeeded, `value="Fairphone 5 noir"`, `value="490154203237518"`,
				`<input type="hidden" name="recap" value="1">`, tc.toRev)
			if r.Path != "/preplainte/objets?avant=theft&recap=1" {
				t.Fatalf("after the change: at %s", r.Path)
			}
			review("<dd>" + tc.vehicleTheft + "</dd>")

			// Adding a row keeps the way back to the review.
			r = c.post("/preplainte/objets", with(items(), "action", "add-item", "recap", "1")).must(t, 200, tc.toRev)
			if !strings.HasPrefix(r.Path, "/preplainte/objets?recap=1") {
				t.Fatalf("after adding a row: at %s", r.Path)
			}
			// Still no vehicle: refused, the way back kept.
			c.post("/preplainte/objets", with(items(), "recap", "1")).must(t, http.StatusUnprocessableEntity, tc.vehicleNeeded, tc.toRev)
			// The vehicle added: back to the review, with both items.
			withCar := with(items(), "recap", "1", "items.1.kind", "vehicle", "items.1.description", "Clio grise", "items.1.plate", "ab 123 cd")
			if r := c.post("/preplainte/objets", withCar).must(t, 200); r.Path != "/preplainte/recapitulatif" {
				t.Fatalf("after the items: at %s", r.Path)
			}
			review("<dd>"+tc.vehicleTheft+"</dd>", "Fairphone 5 noir", "Clio grise", "AB-123-CD")

			// Another change: a fraud asks no item; the items are kept.
			version = regexp1(t, `name="version" value="(\d+)"`, c.get(kindPath).Body)
			r = c.post(kindPath, url.Values{"category": {"fraud"}, "version": {version}}).must(t, 200, "Fairphone 5 noir", "Clio grise").
				lacks(t, `class="error-summary"`)
			if r := c.post("/preplainte/objets", with(withCar, "version", regexp1(t, `name="version" value="(\d+)"`, r.Body))).must(t, 200); r.Path != "/preplainte/recapitulatif" {
				t.Fatalf("after the items of a fraud: at %s", r.Path)
			}
			review("<dd>"+tc.fraud+"</dd>", "Fairphone 5 noir")

			// The same kind again changes nothing.
			if r := c.post(kindPath, url.Values{"category": {"fraud"}}).must(t, 200); r.Path != "/preplainte/recapitulatif" {
				t.Fatalf("same kind: at %s", r.Path)
			}
			// An online scam: the right way, and the draft as it was.
			for _, other := range []string{"online_scam", "other"} {
				c.post(kindPath, url.Values{"category": {other}}).must(t, 200, tc.untouched, `href="/preplainte/recapitulatif"`).
					lacks(t, `class="button button--secondary" href="/preplainte"`)
			}
			review("<dd>" + tc.fraud + "</dd>")

			// A page left open in another window is not saved over.
			if tc.conflict != "" {
				old := regexp1(t, `name="version" value="(\d+)"`, c.get(kindPath).Body)
				n, _ := strconv.Atoi(old)
				c.post(kindPath, url.Values{"category": {"damage"}, "version": {strconv.Itoa(n - 1)}}).
					must(t, http.StatusConflict, tc.conflict, `value="damage" checked`)
				review("<dd>" + tc.fraud + "</dd>")
			}

			// The other "Modifier" links come back to the review too.
			c.get("/preplainte/identite?recap=1").must(t, 200, tc.toRev)
			if r := c.post("/preplainte/identite", with(identity(), "recap", "1", "first_name", "Zoé")).must(t, 200); r.Path != "/preplainte/recapitulatif" {
				t.Fatalf("after identity from the review: at %s", r.Path)
			}
			review("Zoé")

			// Sent, the case is of the kind last chosen.
			c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, 200)
			ref := regexp1(t, `<p class="ref">(PP-[0-9A-Z-]+)</p>`, c.get("/preplainte/envoyee").Body)
			c.get("/suivi/"+ref).must(t, 200, tc.fraud)
		})
	}
}
