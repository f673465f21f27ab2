package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// formPages are the pages of the pre-complaint form, in order.
var formPages = append([]complaint.Step{complaint.StepEligibility}, complaint.Steps...)

// pageKeys are the refusals the pages themselves add to a form's inputs,
// beyond those of complaint.Fields: the file field's checks, the station
// step's wording for what is on screen, and the forms that are not steps.
var pageKeys = map[string][]string{
	"evidence":   {"err.evidence.missing", "err.evidence.name", "err.evidence.size"},
	"unit_id":    {"err.unit.first", "err.unit.search"},
	"slot_id":    {"err.slot.none_here", "err.slot.none_here_next"},
	"draft_code": {"err.required", "err.code.format", "err.code.unknown"},
	"ref":        {"err.required", "err.ref.format", "err.ref.checksum"},
	"code":       {"err.required", "err.track.wrong"},
}

// genericKeys are messages written for no input in particular: shown on
// an input, they always need that input's own wording.
var genericKeys = map[string]bool{
	"err.required": true, "err.choose": true, "err.choice": true, "err.invalid": true,
	"err.too_long": true, "err.too_short": true, "err.date": true, "err.datetime": true,
	"err.date_range": true, "err.future": true, "err.before_start": true,
}

// TestEveryFieldSaysWhatToDo: every input of every page of the form (as
// complaint.Fields lists them, so that a new input without its messages
// fails here) has, for each refusal it may meet, a message of its own in
// French and English: a key shared by several inputs, or generic, needs
// a fielderr.<input>.<rule> message, which must differ from the generic.
func TestEveryFieldSaysWhatToDo(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	type use struct{ name, key string }
	var uses []use
	inputsOf := map[string]map[string]bool{} // key → base names refused with it
	add := func(name, key string) {
		uses = append(uses, use{name, key})
		if inputsOf[key] == nil {
			inputsOf[key] = map[string]bool{}
		}
		inputsOf[key][baseName(name)] = true
	}
	n := 0
	for _, st := range formPages {
		for _, r := range complaint.Fields(st) {
			n++
			for _, k := range r.Keys {
				add(r.Name, k)
			}
		}
	}
	if n < 35 {
		t.Fatalf("only %d inputs listed: complaint.Fields is broken", n)
	}
	for name, keys := range pageKeys {
		for _, k := range keys {
			add(name, k)
		}
	}
	for _, u := range uses {
		own := genericKeys[u.key] || len(inputsOf[u.key]) > 1
		for lang, c := range cats {
			p := &page{cat: c, Lang: lang}
			got := p.fieldMessage(u.name, u.key, 100)
			if !c.Has(u.key) && !c.Has(fieldKey(u.name, u.key)) {
				t.Errorf("%s: %s on %s has no message at all", lang, u.key, u.name)
				continue
			}
			if own && !c.Has(fieldKey(u.name, u.key)) {
				t.Errorf("%s: %s on %s is said generically (%q): add %s", lang, u.key, u.name, got, fieldKey(u.name, u.key))
				continue
			}
			if own && got == c.T(u.key, 100) {
				t.Errorf("%s: %s on %s reads as the generic message", lang, u.key, u.name)
			}
		}
	}
	// Every field-specific message is one a page can show.
	known := map[string]bool{}
	for _, u := range uses {
		known[fieldKey(u.name, u.key)] = true
	}
	for _, k := range []string{"agent_login", "agent_password", "agent_code"} {
		known[fieldKey(k, "err.required")] = true
	}
	for k := range cats["fr"].msgs {
		if strings.HasPrefix(k, "fielderr.") && !known[k] {
			t.Errorf("%s is shown for no input and refusal", k)
		}
	}
}

// TestFieldMessage: the lookup takes the input's own message, by row for
// item inputs, then the generic one; back-office pages keep the generic
// wording on a citizen's inputs (it speaks to the citizen).
func TestFieldMessage(t *testing.T) {
	c := &catalogue{msgs: map[string]string{
		"err.required":                       "Ce champ est obligatoire.",
		"err.too_long":                       "Trop long : {0} au plus.",
		"fielderr.last_name.required":        "Indiquez votre nom de famille.",
		"fielderr.item.description.too_long": "Description trop longue : {0} au plus.",
	}}
	p := &page{cat: c}
	for _, tc := range []struct{ name, key, want string }{
		{"last_name", "err.required", "Indiquez votre nom de famille."},
		{"first_name", "err.required", "Ce champ est obligatoire."},
		{"items.3.description", "err.too_long", "Description trop longue : 200 au plus."},
		{"items.3.serial", "err.too_long", "Trop long : 200 au plus."},
		{"last_name", "cases.err.x", "cases.err.x"},
	} {
		if got := p.fieldMessage(tc.name, tc.key, 200); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.name, tc.key, got, tc.want)
		}
	}
	p.Agent = new(account.Principal)
	if got := p.fieldMessage("last_name", "err.required"); got != "Ce champ est obligatoire." {
		t.Errorf("back office: %q", got)
	}
}

var (
	summaryRE     = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)
	summaryLinkRE = regexp.MustCompile(`<a href="#([^"]+)">`)
)

// summaryTargets checks the page's error summary: it links to each id of
// want, in any order, and each link leads to an element of the page.
func summaryTargets(t *testing.T, r resp, want ...string) {
	t.Helper()
	s := summaryRE.FindString(r.Body)
	if s == "" {
		t.Fatalf("%s: no error summary\n%s", r.Path, excerpt(r.Body))
	}
	got := map[string]bool{}
	for _, m := range summaryLinkRE.FindAllStringSubmatch(s, -1) {
		got[m[1]] = true
		if !strings.Contains(r.Body, `id="`+m[1]+`"`) {
			t.Errorf("%s: the summary links to #%s, which is not on the page", r.Path, m[1])
		}
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("%s: the summary lacks #%s (has %v)", r.Path, id, got)
		}
	}
}

// TestEmptyStepsSayWhatToDo: each page of the form sent empty says, for
// each input, what to do there, never "this field is required"; the error
// summary links to inputs on the page.
func TestEmptyStepsSayWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		lang     string
		generic  []string
		messages map[string][]string // path → messages expected
	}{
		{"fr", []string{"Ce champ est obligatoire", "Choisissez une réponse", "Cette valeur n’est pas valable"}, map[string][]string{
			"/preplainte": {"Indiquez si vous êtes en danger", "Indiquez si vous avez subi des violences",
				"Indiquez si vous connaissez l’auteur des faits", "Choisissez ce dont vous êtes victime"},
			"/preplainte/identite": {"Indiquez votre nom de famille", "Indiquez votre prénom", "Indiquez votre date de naissance",
				"Indiquez le numéro et la voie de votre adresse", "Indiquez le code postal de votre domicile", "Indiquez la commune de votre domicile"},
			"/preplainte/faits": {"Indiquez la date et l’heure des faits", "Indiquez le code postal du lieu des faits",
				"Indiquez la commune où les faits ont eu lieu", "Racontez ce qui s’est passé"},
			"/preplainte/objets":         {"Choisissez le type de cet objet", "Décrivez cet objet"},
			"/preplainte/commissariat":   {"Choisissez le lieu du rendez-vous"},
			"/preplainte/commissariat#2": {"Choisissez l’heure du rendez-vous"},
			"/preplainte/recapitulatif":  {"Cochez la case pour donner votre accord"},
			"/preplainte/reprendre":      {"Indiquez votre code de reprise"},
			"/suivi":                     {"Indiquez la référence de votre dossier", "Indiquez votre code de suivi"},
		}},
		{"en", []string{"This information is required", "Select an answer", "This value is not valid"}, map[string][]string{
			"/preplainte": {"Say whether you are in danger", "Say whether you were hurt", "Say whether you know who did it",
				"Choose what happened to you"},
			"/preplainte/identite": {"Enter your last name", "Enter your first name", "Enter your date of birth",
				"Enter the number and street of your address", "Enter the postcode of your home", "Enter the town or city of your home"},
			"/preplainte/faits": {"Enter the date and time of the facts", "Enter the postcode of the place of the facts",
				"Enter the town or city where it happened", "Tell what happened"},
			"/preplainte/objets":         {"Choose the kind of this item", "Describe this item"},
			"/preplainte/commissariat":   {"Choose the place of the appointment"},
			"/preplainte/commissariat#2": {"Choose the time of the appointment"},
			"/preplainte/recapitulatif":  {"Tick the box to give your agreement"},
			"/preplainte/reprendre":      {"Enter your resume code"},
			"/suivi":                     {"Enter your case reference", "Enter your tracking code"},
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			check := func(path string, r resp, ids ...string) {
				t.Helper()
				r.must(t, http.StatusUnprocessableEntity, tc.messages[path]...)
				for _, g := range tc.generic {
					if strings.Contains(r.Body, g) {
						t.Errorf("%s says %q", path, g)
					}
				}
				summaryTargets(t, r, ids...)
			}
			check("/preplainte/reprendre", c.post("/preplainte/reprendre", url.Values{}), "f-draft_code")
			check("/suivi", c.post("/suivi", url.Values{}), "f-ref", "f-code")
			check("/preplainte", c.post("/preplainte", url.Values{}), "f-emergency", "f-violence", "f-author_known", "f-category")
			c.post("/preplainte", answers()).must(t, 200)
			check("/preplainte/identite", c.post("/preplainte/identite", url.Values{}),
				"f-last_name", "f-first_name", "f-birth_date", "f-address", "f-postcode", "f-city")
			c.post("/preplainte/identite", identity()).must(t, 200)
			check("/preplainte/faits", c.post("/preplainte/faits", url.Values{}), "f-facts_from", "f-place_postcode", "f-place_city", "f-description")
			c.post("/preplainte/faits", facts()).must(t, 200)
			// A row begun (a value typed) asks for its kind and description.
			check("/preplainte/objets", c.post("/preplainte/objets", url.Values{"items.0.value": {"30"}}), "f-items-0-kind", "f-items-0-description")
			c.post("/preplainte/objets", items()).must(t, 200)
			c.post("/preplainte/preuves", url.Values{}).must(t, 200)
			check("/preplainte/commissariat", c.post("/preplainte/commissariat", url.Values{}), "f-unit_id")
			// A place chosen shows its times; sent without one, a time is asked for.
			c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}}).must(t, 200)
			r := c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}})
			check("/preplainte/commissariat#2", r, "f-slot_id")
			slot := slotRE.FindStringSubmatch(r.Body)[1]
			c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slot}}).must(t, 200)
			check("/preplainte/recapitulatif", c.post("/preplainte/envoyer", url.Values{}), "f-consent")
		})
	}
}

// TestStationErrorsPointAtTheScreen: on the station step, an error never
// asks for, nor links to, what is not on screen.
func TestStationErrorsPointAtTheScreen(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	c := cats["fr"]
	unit := station.Unit{ID: "u", Name: "Commissariat de Lyon 3e"}
	listed := []unitOption{{Ranked: station.Ranked{Unit: unit}, InputID: "f-unit_id"}}
	for _, tc := range []struct {
		name     string
		data     stationData
		fields   []string // refused, as the rules say
		wantIDs  []string
		wantKeys []string
	}{
		{"nothing chosen: the place, once", stationData{Units: listed}, []string{"unit_id", "slot_id"}, []string{"f-unit_id"}, []string{"fielderr.unit_id.choose"}},
		{"no place, a time asked: the place", stationData{Units: listed}, []string{"slot_id"}, []string{"f-unit_id"}, []string{"err.unit.first"}},
		{"a place without times", stationData{Units: listed, Chosen: &unit}, []string{"slot_id"}, []string{"f-slot_id"}, []string{"err.slot.none_here"}},
		{"a place without times, another with", stationData{Units: listed, Chosen: &unit, Next: &station.Ranked{Unit: unit}}, []string{"slot_id"}, []string{"f-slot_id"}, []string{"err.slot.none_here_next"}},
		{"no place listed: the search", stationData{}, []string{"unit_id", "slot_id"}, []string{"f-q"}, []string{"err.unit.search"}},
		{"no place listed, a time asked: the search", stationData{}, []string{"slot_id"}, []string{"f-q"}, []string{"err.unit.search"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &page{cat: c, Lang: "fr", Data: tc.data}
			var v guichet.ValidationError
			for _, f := range tc.fields {
				v.Add(f, "err.choose")
			}
			p.setErrors(&v)
			stationErrors(p)
			if len(p.Errors) != len(tc.wantIDs) {
				t.Fatalf("errors %+v, want %d", p.Errors, len(tc.wantIDs))
			}
			for i, e := range p.Errors {
				if e.ID != tc.wantIDs[i] || e.Message != c.T(tc.wantKeys[i]) {
					t.Errorf("error %d: #%s %q, want #%s %q", i, e.ID, e.Message, tc.wantIDs[i], c.T(tc.wantKeys[i]))
				}
			}
		})
	}
}
