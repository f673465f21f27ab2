package report

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestExtractFromText(t *testing.T) {
	for _, c := range []struct {
		text string
		keys []string
	}{
		{"Votre colis est bloqué : https://colis-suivi.example.com/pay?x=1. Appelez le 06 12 34 56 78 !",
			[]string{"url:https://colis-suivi.example.com/pay?x=1", "phone:+33612345678"}},
		{"Rdv sur bit.ly/3xYz ou www.ameli-remboursement.example/fr, sinon +33 6 98 76 54 32",
			[]string{"url:http://bit.ly/3xYz", "url:http://www.ameli-remboursement.example/fr", "phone:+33698765432"}},
		{"Code 123456, montant 1 250,00 €.", nil},
		{"https://a.example/x https://a.example/x 06.12.34.56.78 0612345678", []string{"url:https://a.example/x", "phone:+33612345678"}},
	} {
		var got []string
		for _, x := range ExtractFromText(c.text) {
			got = append(got, x.Key())
		}
		if !slices.Equal(got, c.keys) {
			t.Errorf("%q:\n got %v\nwant %v", c.text, got, c.keys)
		}
	}
}

func TestHarmoniseKeepsInvalid(t *testing.T) {
	seen := Harmonise([]SeenInput{
		{Channel: "iban", Value: "FR76 3000 6000 0112 3456 7890 188"}, // bad checksum
		{Channel: "account", Value: "@nom", Platform: "Instagram"},
		{Channel: "crypto", Value: "0x52908400098527886E0F7030069857D2E4169EE7"},
		{Channel: "url", Value: " "},
	})
	if len(seen) != 3 {
		t.Fatalf("%d values, want 3 (the blank one is no value): %+v", len(seen), seen)
	}
	if seen[0].Valid || seen[0].Reason == "" || seen[0].Key != "" || seen[0].Input == "" {
		t.Errorf("invalid IBAN: %+v", seen[0])
	}
	if seen[1].Key != "account:instagram/nom" {
		t.Errorf("account: %+v", seen[1])
	}
	if seen[2].Kind != "eth" || !seen[2].Valid {
		t.Errorf("crypto: %+v", seen[2])
	}
}

// FuzzExtractFromText: any text gives valid URLs and phone numbers only,
// each once, and never panics.
func FuzzExtractFromText(f *testing.F) {
	f.Add("Votre colis : https://x.example/p?a=1 ou 06 12 34 56 78.")
	f.Add("bit.ly/abc +447911123456 00 33 6 12 34 56 78")
	f.Add("\x00\xff www. http:// 0")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || len(text) > MaxSMSLen*4 {
			t.Skip()
		}
		seen := map[string]bool{}
		for _, x := range ExtractFromText(text) {
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
