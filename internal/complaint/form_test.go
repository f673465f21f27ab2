package complaint

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

func TestEligibility(t *testing.T) {
	base := Form{Emergency: "no", Violence: "no", AuthorKnown: "no", Category: Theft}
	tests := []struct {
		name   string
		edit   func(*Form)
		want   Reason
		errFor string
	}{
		{"eligible theft", func(*Form) {}, ReasonNone, ""},
		{"eligible fraud", func(f *Form) { f.Category = Fraud }, ReasonNone, ""},
		{"emergency wins even unanswered", func(f *Form) { *f = Form{Emergency: "yes"} }, ReasonEmergency, ""},
		{"violence", func(f *Form) { f.Violence = "yes" }, ReasonViolence, ""},
		{"known author", func(f *Form) { f.AuthorKnown = "yes" }, ReasonKnownAuthor, ""},
		{"online scam", func(f *Form) { f.Category = "online_scam" }, ReasonOnlineScam, ""},
		{"other", func(f *Form) { f.Category = "other" }, ReasonOther, ""},
		{"unanswered", func(f *Form) { f.Violence = "" }, ReasonNone, "violence"},
		{"bad category", func(f *Form) { f.Category = "murder" }, ReasonNone, "category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.edit(&f)
			got, err := Eligibility(f)
			if tt.errFor != "" {
				var v *guichet.ValidationError
				if !errors.As(err, &v) {
					t.Fatalf("err = %v, want validation error", err)
				}
				if _, ok := v.For(tt.errFor); !ok {
					t.Fatalf("no error for %s in %v", tt.errFor, v)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Eligibility = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseEuros(t *testing.T) {
	for in, want := range map[string]int64{"12": 1200, "1 234,50": 123450, "1234.5": 123450, "12 €": 1200, "0,99": 99, "1\u202f000": 100000, "7 EUR": 700} {
		if got, err := ParseEuros(in); err != nil || got != want {
			t.Errorf("ParseEuros(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1,2,3", "-5", "1.234", "12,345", "99999999999999"} {
		if _, err := ParseEuros(in); err == nil {
			t.Errorf("ParseEuros(%q) accepted", in)
		}
	}
}

func TestValidateSteps(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	good := Form{
		Category: Theft, LastName: "Martin", FirstName: "Camille", BirthDate: "1987-04-12",
		Email: "c.martin@example.fr", Phone: "06 12 34 56 78", Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		FactsFrom: "2026-11-20T08:00", FactsTo: "2026-11-20T09:00", PlacePostcode: "69003", PlaceCity: "Lyon",
		Description: "Vol de mon téléphone dans le tramway.",
		Items:       []Item{{Kind: "phone", Description: "Smartphone", Value: "849", Serial: "356938035643809"}},
		UnitID:      "u", SlotID: "s", Consent: true,
	}
	if step, err := ValidateAll(&good, now); err != nil {
		t.Fatalf("good form refused at %s: %v", step, err)
	}
	tests := []struct {
		step  Step
		edit  func(*Form)
		field string
		key   string
	}{
		{StepIdentity, func(f *Form) { f.LastName = " " }, "last_name", "err.required"},
		{StepIdentity, func(f *Form) { f.BirthDate = "2030-01-01" }, "birth_date", "err.date_range"},
		{StepIdentity, func(f *Form) { f.BirthDate = "12/04/1987" }, "birth_date", "err.date"},
		{StepIdentity, func(f *Form) { f.Email = "not-an-email" }, "email", "err.email"},
		{StepIdentity, func(f *Form) { f.Phone = "123" }, "phone", "err.phone"},
		{StepIdentity, func(f *Form) { f.Postcode = "6900" }, "postcode", "err.postcode"},
		{StepFacts, func(f *Form) { f.FactsFrom = "2026-12-01T08:00" }, "facts_from", "err.future"},
		{StepFacts, func(f *Form) { f.FactsTo = "2026-11-19T08:00" }, "facts_to", "err.before_start"},
		{StepFacts, func(f *Form) { f.Description = "trop court" }, "description", "err.too_short"},
		{StepItems, func(f *Form) { f.Items = nil }, "items", "err.items.required"},
		{StepItems, func(f *Form) { f.Items[0].Serial = "356938035643808" }, "items.0.serial", "err.imei"},
		{StepItems, func(f *Form) { f.Items[0].Value = "beaucoup" }, "items.0.value", "err.amount"},
		{StepItems, func(f *Form) { f.Items[0] = Item{Kind: "vehicle", Description: "Clio", Plate: "XX"} }, "items.0.plate", "err.plate"},
		{StepItems, func(f *Form) { f.Category = VehicleTheft }, "items", "err.items.vehicle"},
		{StepStation, func(f *Form) { f.SlotID = "" }, "slot_id", "err.choose"},
		{StepReview, func(f *Form) { f.Consent = false }, "consent", "err.consent"},
	}
	for _, tt := range tests {
		f := good
		f.Items = append([]Item(nil), good.Items...)
		tt.edit(&f)
		err := ValidateStep(tt.step, &f, now)
		var v *guichet.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("%s/%s: err = %v", tt.step, tt.field, err)
			continue
		}
		fe, ok := v.For(tt.field)
		if !ok || fe.Key != tt.key {
			t.Errorf("%s/%s: got %v, want key %s", tt.step, tt.field, v, tt.key)
		}
	}
	// Fraud needs no item.
	f := good
	f.Category, f.Items = Fraud, nil
	if err := ValidateStep(StepItems, &f, now); err != nil {
		t.Errorf("fraud without items: %v", err)
	}
}

func TestForeignAddress(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	base := Form{LastName: "Müller", FirstName: "Jonas", BirthDate: "1990-05-17", Address: "Hauptstraße 5", City: "München"}
	tests := []struct {
		name             string
		country, postal  string
		wantField, wantK string
	}{
		{"German postcode", "DE", "80331", "", ""},
		{"no postcode abroad", "IE", "", "", ""},
		{"a region for a postcode", "de", "Bayern", "", ""},
		{"foreign postcode too long", "DE", strings.Repeat("9", 41), "postcode", "err.too_long"},
		{"France needs a postcode", "FR", "", "postcode", "err.required"},
		{"France needs 5 digits", "FR", "80331X", "postcode", "err.postcode"},
		{"no country is France", "", "", "postcode", "err.required"},
		{"unknown country", "ZZ", "80331", "country", "err.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			f.Country, f.Postcode = tt.country, tt.postal
			err := ValidateStep(StepIdentity, &f, now)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var v *guichet.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if fe, ok := v.For(tt.wantField); !ok || fe.Key != tt.wantK {
				t.Fatalf("got %v, want %s on %s", v, tt.wantK, tt.wantField)
			}
		})
	}
}

func TestPlaceElsewhere(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := Form{
		FactsFrom: "2026-11-20T08:00", Description: "On m'a volé mon sac pendant que je dormais.",
		PlaceKind: PlaceElsewhere, PlaceDetails: "TGV 6603 Paris–Marseille, voiture 12", PlaceNear: "Valence",
		Country: "DE", Postcode: "80331",
	}
	if err := ValidateStep(StepFacts, &f, now); err != nil {
		t.Fatalf("a train without a postcode refused: %v", err)
	}
	if got, want := f.PlaceLine(), "TGV 6603 Paris–Marseille, voiture 12 — Valence"; got != want {
		t.Errorf("PlaceLine = %q, want %q", got, want)
	}
	if got := f.StationQuery(); got != "Valence" {
		t.Errorf("StationQuery = %q, want the nearest town", got)
	}
	f.PlaceNear = ""
	if got := f.StationQuery(); got != "" {
		t.Errorf("StationQuery = %q: a German postcode searched in France", got)
	}
	f.Country, f.Postcode = "", "69003"
	if got := f.StationQuery(); got != "69003" {
		t.Errorf("StationQuery = %q, want the French home postcode", got)
	}

	f.PlaceDetails = " "
	var v *guichet.ValidationError
	if err := ValidateStep(StepFacts, &f, now); !errors.As(err, &v) {
		t.Fatalf("no description of the place: err = %v", err)
	} else if fe, ok := v.For("place_details"); !ok || fe.Key != "err.required" {
		t.Errorf("no description of the place: %v", v)
	} else if _, ok := v.For("place_postcode"); ok {
		t.Errorf("a postcode asked for a place elsewhere: %v", v)
	}
	f.PlaceKind = "moon"
	if err := ValidateStep(StepFacts, &f, now); !errors.As(err, &v) {
		t.Fatalf("unknown kind of place accepted")
	} else if _, ok := v.For("place_kind"); !ok {
		t.Errorf("unknown kind of place: %v", v)
	}
}

// TestOldSealedForm: a form sealed before addresses had a country and
// places a kind still opens, as a French address and a place with a
// postcode, and passes the rules it passed then.
func TestOldSealedForm(t *testing.T) {
	old := `{"emergency":"no","violence":"no","author_known":"no","category":"vehicle_theft",
		"civility":"m","last_name":"Martin","first_name":"Camille","birth_date":"1987-04-12","birth_place":"",
		"email":"","phone":"","address":"14 rue des Lilas","postcode":"69003","city":"Lyon",
		"facts_from":"2026-11-20T08:00","facts_to":"","place_address":"12 rue Servient","place_postcode":"69003",
		"place_city":"Lyon","description":"Ma voiture a disparu de la rue pendant la nuit.",
		"items":[{"kind":"vehicle","description":"Clio grise","value":"","serial":"","plate":"GH-417-KT"}],
		"evidence":null,"unit_id":"u","slot_id":"s","consent":true}`
	p, err := PreComplaint.Codec.Decode([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	f := p.(*Form)
	if !f.HomeInFrance() || !f.PlaceIsAddress() {
		t.Errorf("old form: home in France %v, place an address %v", f.HomeInFrance(), f.PlaceIsAddress())
	}
	if got := f.PlaceLine(); got != "12 rue Servient, 69003 Lyon" {
		t.Errorf("PlaceLine = %q", got)
	}
	if f.Items[0].ForeignPlate() || f.Items[0].Plate != "GH-417-KT" {
		t.Errorf("old item: %+v", f.Items[0])
	}
	if step, err := ValidateAll(f, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("old form refused at %s: %v", step, err)
	}
	// And a new form reads back what it wrote.
	f.Country, f.PlaceKind, f.PlaceDetails, f.PlaceNear = "DE", PlaceElsewhere, "A7", "Valence"
	f.Items[0].PlateCountry = "DE"
	b, err := PreComplaint.Codec.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	back, err := PreComplaint.Codec.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, f) {
		t.Errorf("round trip\n%+v\nwant\n%+v", back, f)
	}
}

func TestOptionalPlate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := Form{Category: VehicleTheft, Items: []Item{{Kind: "vehicle", Description: "Clio grise"}}}
	if err := ValidateStep(StepItems, &f, now); err != nil {
		t.Errorf("a vehicle without its plate refused: %v", err)
	}
	var dst Form
	MergeStep(&dst, StepItems, Form{Items: []Item{{Kind: "vehicle", Description: "Clio", Plate: "ab 123 cd"}, {Kind: "vehicle", Description: "Golf", Plate: "?"}}})
	if dst.Items[0].Plate != "AB-123-CD" || dst.Items[1].Plate != "?" {
		t.Errorf("saved plates %q, %q: want the first normalised, the second as typed", dst.Items[0].Plate, dst.Items[1].Plate)
	}
	f.Items[0].PlateCountry = "XY"
	var v *guichet.ValidationError
	if err := ValidateStep(StepItems, &f, now); !errors.As(err, &v) {
		t.Errorf("unknown plate country accepted")
	} else if _, ok := v.For("items.0.plate_country"); !ok {
		t.Errorf("unknown plate country: %v", v)
	}
}

func TestCountries(t *testing.T) {
	fr, en := CountriesIn("fr"), CountriesIn("en")
	if len(fr) != len(countries) || len(en) != len(countries) || fr[0].Code != France || en[0].Code != France {
		t.Fatalf("lists of %d and %d, first %s and %s", len(fr), len(en), fr[0].Code, en[0].Code)
	}
	seen := map[string]bool{}
	for i, c := range countries {
		if len(c.Code) != 2 || c.FR == "" || c.EN == "" || seen[c.Code] || (i > 0 && countries[i-1].Code >= c.Code) {
			t.Errorf("country %d %+v: code not upper-case alpha-2, a name missing, or out of order", i, c)
		}
		seen[c.Code] = true
	}
	index := func(list []Country, code string) int {
		for i, c := range list {
			if c.Code == code {
				return i
			}
		}
		return -1
	}
	// "Égypte" sorts among the E in French, "Germany" after "France".
	if !(index(fr, "DK") < index(fr, "EG") && index(fr, "EG") < index(fr, "ES")) {
		t.Errorf("French order: Danemark %d, Égypte %d, Espagne %d", index(fr, "DK"), index(fr, "EG"), index(fr, "ES"))
	}
	if CountryName("de", "fr") != "Allemagne" || CountryName("DE", "en") != "Germany" || CountryName("", "en") != "France" || CountryName("ZZ", "fr") != "ZZ" {
		t.Error("CountryName")
	}
}
