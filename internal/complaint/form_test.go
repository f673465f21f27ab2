package complaint

import (
	"errors"
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

func TestNormalizePlate(t *testing.T) {
	for in, want := range map[string]string{"gh-417-kt": "GH-417-KT", "GH417KT": "GH-417-KT", "1234 ab 56": "1234 AB 56", "123 ABC 2A": "123 ABC 2A"} {
		if got, err := NormalizePlate(in); err != nil || got != want {
			t.Errorf("NormalizePlate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ABC", "OO-123-AA", "GH-4177-KT"} {
		if _, err := NormalizePlate(in); err == nil {
			t.Errorf("NormalizePlate(%q) accepted", in)
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
