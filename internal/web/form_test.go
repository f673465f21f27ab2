package web

import (
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"github.com/guichet/guichet/internal/complaint"
)

func TestDecodeForm(t *testing.T) {
	v := url.Values{
		"last_name": {"Martin", "ignored"}, "category": {"theft"}, "consent": {"yes"},
		"birth_date": {"7/3/1985"}, "facts_from": {"24/11/2026 14h30"}, "facts_to": {"2026-11-24T15:00"},
		"items.3.kind": {"phone"}, "items.3.serial": {"123"},
		"items.0.description": {"sac"}, "items.0.unknown": {"x"},
		"items.20.kind": {"bag"}, "items.-1.kind": {"bag"}, "items.+1.kind": {"bag"}, "items.01x.kind": {"bag"},
		"items.1": {"x"}, "items..kind": {"x"}, "items.999999999999999999999.kind": {"x"},
		"unknown": {"x"},
	}
	f := decodeForm(v)
	want := complaint.Form{
		LastName: "Martin", Category: complaint.Theft, Consent: true,
		BirthDate: "1985-03-07", FactsFrom: "2026-11-24T14:30", FactsTo: "2026-11-24T15:00",
		Items: []complaint.Item{{Description: "sac"}, {Kind: "phone", Serial: "123"}},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", f, want)
	}
	if got := compactItems([]complaint.Item{{}, {Kind: " "}, {Kind: "bag"}, {Value: "  "}}); len(got) != 1 || got[0].Kind != "bag" {
		t.Errorf("compact %+v", got)
	}
	// Dates that are not French stay as typed, for the error to show them.
	for _, s := range []string{"hier", "32/13/2026", "2026-11-24"} {
		if got := isoDate(s); got != s && s != "32/13/2026" {
			t.Errorf("isoDate(%q) = %q", s, got)
		}
	}
}

// TestFormValueRoundTrip: what formValue shows, decodeForm reads back.
func TestFormValueRoundTrip(t *testing.T) {
	f := complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Burglary,
		Civility: "x", LastName: "Durand", FirstName: "Jo", BirthDate: "1970-01-02", BirthPlace: "Brest",
		Email: "jo@example.fr", Phone: "0611223344", Address: "1 rue A", Postcode: "29200", City: "Brest",
		FactsFrom: "2026-01-02T03:04", FactsTo: "2026-01-02T05:06", PlaceAddress: "2 rue B", PlacePostcode: "29200",
		PlaceCity: "Brest", Description: "une description assez longue", UnitID: "u", SlotID: "s", Consent: true,
		Items: []complaint.Item{{Kind: "bicycle", Description: "vélo", Value: "300", Serial: "S1", Plate: ""}, {Kind: "vehicle", Plate: "AB-123-CD"}},
	}
	v := url.Values{}
	for name := range stringFields(&f) {
		v.Set(name, formValue(&f, name))
	}
	v.Set("category", formValue(&f, "category"))
	v.Set("consent", formValue(&f, "consent"))
	for i := range f.Items {
		for _, n := range []string{"kind", "description", "value", "serial", "plate"} {
			k := "items." + strconv.Itoa(i) + "." + n
			v.Set(k, formValue(&f, k))
		}
	}
	if got := decodeForm(v); !reflect.DeepEqual(got, f) {
		t.Errorf("round trip\n%+v\nwant\n%+v", got, f)
	}
	if formValue(&f, "items.9.kind") != "" || formValue(&f, "items.x.kind") != "" || formValue(&f, "nope") != "" {
		t.Error("formValue of a missing field")
	}
}

// FuzzDecodeForm: any posted body decodes without panic into a bounded
// form whose items read back through formValue.
func FuzzDecodeForm(f *testing.F) {
	f.Add("last_name=Martin&items.0.kind=phone&items.3.serial=1&consent=yes")
	f.Add("items.19.kind=x&items.20.kind=y&items.07.plate=AB&birth_date=1/2/2000")
	f.Add("facts_from=24%2F11%2F2026+14%3A30&items.-0.kind=a&items..=b&items.1.=c")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := decodeForm(v)
		if len(form.Items) > maxItemRows {
			t.Fatalf("%d item rows", len(form.Items))
		}
		for i, it := range form.Items {
			p := "items." + strconv.Itoa(i) + "."
			if formValue(&form, p+"kind") != it.Kind || formValue(&form, p+"plate") != it.Plate {
				t.Fatalf("item %d does not read back", i)
			}
		}
		if len(compactItems(form.Items)) > len(form.Items) {
			t.Fatal("compaction grew")
		}
		// Values are kept as typed (bar French dates put in ISO form).
		if got, want := form.LastName, v.Get("last_name"); got != want {
			t.Fatalf("last_name %q, want %q", got, want)
		}
	})
}
