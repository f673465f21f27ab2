package report

import (
	"testing"
)

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
