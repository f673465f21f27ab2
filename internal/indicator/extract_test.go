package indicator

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExtract(t *testing.T) {
	for _, c := range []struct {
		text string
		keys []string
	}{
		{"Votre colis est bloqué : https://colis-suivi.example.com/pay?x=1. Appelez le 06 12 34 56 78 !",
			[]string{"url:https://colis-suivi.example.com/pay?x=1", "phone:+33612345678"}},
		{"Rdv sur bit.ly/3xYz ou www.ameli-remboursement.example/fr, sinon +33 6 98 76 54 32",
			[]string{"url:http://bit.ly/3xYz", "url:http://www.ameli-remboursement.example/fr", "phone:+33698765432"}},
		{"Code 123456, montant 1 250,00 €.", nil},
		// Addresses, lower-cased domain; one inside a link stays the link's.
		{"Écrivez à Support@Colis-Frais.EXAMPLE ou https://x.example/?to=a@b.example, tél. 06 12 34 56 78",
			[]string{"url:https://x.example/?to=a@b.example", "email:Support@colis-frais.example", "phone:+33612345678"}},
		{"a@b ou @nom ou x@.example", nil},
		{"https://a.example/x https://a.example/x 06.12.34.56.78 0612345678", []string{"url:https://a.example/x", "phone:+33612345678"}},
	} {
		var got []string
		for _, x := range Extract(c.text) {
			got = append(got, x.Key())
		}
		if !slices.Equal(got, c.keys) {
			t.Errorf("%q:\n got %v\nwant %v", c.text, got, c.keys)
		}
	}
}

// FuzzExtract: any text gives valid addresses and phone numbers only,
// each once, and never panics.
func FuzzExtract(f *testing.F) {
	f.Add("Votre colis : https://x.example/p?a=1 ou 06 12 34 56 78.")
	f.Add("bit.ly/abc +447911123456 00 33 6 12 34 56 78")
	f.Add("\x00\xff www. http:// 0")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || len(text) > 4096 {
			t.Skip()
		}
		seen := map[string]bool{}
		for _, x := range Extract(text) {
			k := x.Key()
			if k == "" {
				if x.Kind != "url" {
					t.Errorf("an invalid %s was extracted: %+v", x.Kind, x)
				}
				continue
			}
			if seen[k] {
				t.Errorf("%s extracted twice", k)
			}
			seen[k] = true
		}
	})
}

// extractByReplace is Extract as first written, the links and addresses
// found, then replaced in a second scan: FuzzExtractSameAsReplace holds
// the one-scan Extract to its results.
func extractByReplace(text string) []Indicator {
	var out []Indicator
	seen := map[string]bool{}
	for _, m := range urlInText.FindAllString(text, MaxExtracted) {
		m = strings.TrimRight(m, ".,;:!?)»\"'")
		x := Normalize(KindURL, m)
		if k := x.Key(); k != "" && seen[k] {
			continue
		} else if k != "" {
			seen[k] = true
		}
		out = append(out, x)
	}
	rest := urlInText.ReplaceAllString(text, " ")
	for _, m := range emailInText.FindAllString(rest, MaxExtracted) {
		x := Normalize(KindEmail, m)
		if k := x.Key(); x.Valid && !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	rest = emailInText.ReplaceAllString(rest, " ")
	return appendPhones(out, seen, rest)
}

// FuzzExtractSameAsReplace: Extract finds what extractByReplace finds.
func FuzzExtractSameAsReplace(f *testing.F) {
	f.Add("Votre colis : https://x.example/p?a=1 ou 06 12 34 56 78.")
	f.Add("Écrivez à Support@Colis-Frais.EXAMPLE ou https://x.example/?to=a@b.example, tél. 06 12 34 56 78")
	f.Add("a@b.example0612345678 www.x.fr/0612345678 06 12 34 56 7806 12 34 56 79")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			t.Skip()
		}
		got, want := Extract(text), extractByReplace(text)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", text, got, want)
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	const sms = "Votre colis est bloqué, payez les frais : https://lnk3.example/c17 puis appelez le 01 99 00 42 07 ou écrivez à suivi@colis-frais.example"
	for b.Loop() {
		if len(Extract(sms)) != 3 {
			b.Fatal("want 3 values")
		}
	}
}

func BenchmarkExtractByReplace(b *testing.B) {
	const sms = "Votre colis est bloqué, payez les frais : https://lnk3.example/c17 puis appelez le 01 99 00 42 07 ou écrivez à suivi@colis-frais.example"
	for b.Loop() {
		if len(extractByReplace(sms)) != 3 {
			b.Fatal("want 3 values")
		}
	}
}
