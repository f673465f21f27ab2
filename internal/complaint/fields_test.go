package complaint

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// pages are the pages of the form whose inputs Fields lists.
var pages = append([]Step{StepEligibility}, Steps...)

// TestFieldsListEveryInput: every input of Form and of an item row is
// listed by Fields on exactly one page, so that a new input cannot go
// without the messages its page needs.
func TestFieldsListEveryInput(t *testing.T) {
	listed := map[string]Step{}
	for _, p := range pages {
		rules := Fields(p)
		if len(rules) == 0 {
			t.Errorf("page %s lists no input", p)
		}
		for _, r := range rules {
			if prev, dup := listed[r.Name]; dup {
				t.Errorf("%s listed on %s and %s", r.Name, prev, p)
			}
			listed[r.Name] = p
			if len(r.Keys) == 0 {
				t.Errorf("%s: no key", r.Name)
			}
			if slices.Contains(r.Keys, "err.text") {
				t.Errorf("%s lists err.text, which every input may have", r.Name)
			}
		}
	}
	for _, name := range jsonNames(reflect.TypeFor[Form](), "") {
		if notInputs[name] {
			continue
		}
		if _, ok := listed[name]; !ok {
			t.Errorf("input %s of Form is on no page of Fields", name)
		}
	}
	for _, name := range jsonNames(reflect.TypeFor[Item](), "items.N.") {
		if _, ok := listed[name]; !ok {
			t.Errorf("item input %s is on no page of Fields", name)
		}
	}
	if got := Fields("nowhere"); got != nil {
		t.Errorf("Fields of an unknown page: %v", got)
	}
	f := Fields(StepIdentity)
	f[0].Keys[0] = "changed"
	if Fields(StepIdentity)[0].Keys[0] == "changed" {
		t.Error("Fields hands out its own table")
	}
}

// notInputs are the fields of Form that no page asks for: the service
// sets them.
var notInputs = map[string]bool{"report": true}

// jsonNames are the JSON names of t's fields, with prefix; the rows of
// items are read apart.
func jsonNames(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

var rowRE = regexp.MustCompile(`^items\.\d+\.`)

// TestFieldsMatchTheRules: the keys Fields lists for an input are the keys
// the rules give it. Each broken rule below is produced on a valid form;
// every key produced must be listed, and every key listed produced (but
// those said elsewhere than in ValidateStep and Eligibility).
func TestFieldsMatchTheRules(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	good := func() Form {
		return Form{
			Emergency: "no", Violence: "no", AuthorKnown: "no", Category: Theft,
			Civility: "mme", LastName: "Martin", FirstName: "Camille", BirthDate: "1987-04-12", BirthPlace: "Lyon",
			Email: "c.martin@example.fr", Phone: "06 12 34 56 78", Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
			FactsFrom: "2026-11-20T08:00", FactsTo: "2026-11-20T09:00", PlaceAddress: "Place Bellecour", PlacePostcode: "69003", PlaceCity: "Lyon",
			Description: "Vol de mon téléphone dans le tramway.",
			Items:       []Item{{Kind: "phone", Description: "Smartphone", Value: "849", Serial: "356938035643809"}},
			UnitID:      "u", SlotID: "s", Consent: true,
		}
	}
	long := func(n int) string { return strings.Repeat("a", n+1) }
	elsewhere := func(f *Form) { f.PlaceKind, f.PlaceDetails = PlaceElsewhere, "TGV 6603, voiture 12" }
	breaks := map[Step][]func(*Form){
		StepEligibility: {func(f *Form) { *f = Form{} }},
		StepIdentity: {
			func(f *Form) { f.Civility = "dr" },
			func(f *Form) {
				f.LastName, f.FirstName, f.BirthDate, f.Address, f.Postcode, f.City = "", "", "", "", "", ""
			},
			func(f *Form) {
				f.LastName, f.FirstName, f.BirthPlace, f.Address, f.City = long(maxShort), long(maxShort), long(maxShort), long(maxAddress), long(maxShort)
			},
			func(f *Form) { f.BirthDate, f.Postcode = "12/04/1987", "6900" },
			func(f *Form) { f.BirthDate = "2030-01-01" },
			func(f *Form) { f.Email, f.Phone = "camille@", "123" },
			func(f *Form) { f.Country = "ZZ" },
			func(f *Form) { f.Country, f.Postcode = "DE", long(maxForeignPostcode) },
		},
		StepFacts: {
			func(f *Form) {
				f.FactsFrom, f.FactsTo, f.PlacePostcode, f.PlaceCity, f.Description = "", "", "", "", ""
			},
			func(f *Form) { f.FactsFrom, f.FactsTo = "hier", "demain" },
			func(f *Form) { f.FactsFrom, f.FactsTo = "2026-12-01T08:00", "2026-12-01T09:00" },
			func(f *Form) { f.FactsFrom = "2001-01-01T08:00" },
			func(f *Form) { f.FactsTo = "2026-11-19T08:00" },
			func(f *Form) { f.PlaceKind = "moon" },
			func(f *Form) { f.PlaceAddress, f.PlacePostcode, f.PlaceCity = long(maxAddress), "6900", long(maxShort) },
			func(f *Form) { elsewhere(f); f.PlaceDetails = "" },
			func(f *Form) { elsewhere(f); f.PlaceDetails, f.PlaceNear = long(maxAddress), long(maxShort) },
			func(f *Form) { f.Description = "trop court" },
			func(f *Form) { f.Description = long(maxDescription) },
		},
		StepItems: {
			func(f *Form) { f.Items = nil },
			func(f *Form) { f.Items = slices.Repeat(f.Items, maxItems+1) },
			func(f *Form) { f.Category = VehicleTheft },
			func(f *Form) { f.Items[0] = Item{Value: "beaucoup", Serial: long(64), PlateCountry: "XY"} },
			func(f *Form) { f.Items[0].Plate = "XX" },
			func(f *Form) { f.Items[0].Description = long(maxAddress) },
			func(f *Form) { f.Items[0].Serial = "356938035643808" },
		},
		StepEvidence: {func(f *Form) { f.Evidence = make([]EvidenceFile, 6) }},
		StepStation:  {func(f *Form) { f.UnitID, f.SlotID = "", "" }},
		StepReview:   {func(f *Form) { f.Consent = false }},
	}
	// Said when a file is added (AddEvidence) or the review is sent
	// (Submit), which their own tests cover.
	elsewhereSaid := map[string]bool{
		"evidence err.evidence.empty": true, "evidence err.evidence.size": true, "evidence err.evidence.type": true,
		"slot_id err.slot.gone": true, "slot_id err.slot.full": true,
	}
	for _, p := range pages {
		listed := map[string]bool{}
		for _, r := range Fields(p) {
			for _, k := range r.Keys {
				listed[r.Name+" "+k] = true
			}
		}
		produced := map[string]bool{}
		for i, brk := range breaks[p] {
			f := good()
			brk(&f)
			var err error
			if p == StepEligibility {
				_, err = Eligibility(f)
			} else {
				err = ValidateStep(p, &f, now)
			}
			var v *guichet.ValidationError
			if !errors.As(err, &v) {
				t.Errorf("%s, break %d: err = %v, want field errors", p, i, err)
				continue
			}
			for _, fe := range v.Fields {
				pair := rowRE.ReplaceAllString(fe.Field, "items.N.") + " " + fe.Key
				produced[pair] = true
				if !listed[pair] {
					t.Errorf("%s, break %d: %s is not in Fields", p, i, pair)
				}
			}
		}
		for pair := range listed {
			if !produced[pair] && !elsewhereSaid[pair] {
				t.Errorf("%s: Fields lists %s, which no broken rule here produced", p, pair)
			}
		}
	}
}
