package indicator

import "testing"

func TestCountryOf(t *testing.T) {
	for _, tt := range []struct {
		kind      Kind
		input     string
		want      string
		normalise bool
	}{
		{KindPhone, "06 12 34 56 78", "FR", true},
		{KindPhone, "+32 2 555 12 12", "BE", true},
		{KindPhone, "+44 20 7946 0123", "GB", true},
		{KindPhone, "+262 269 61 00 00", "YT", true}, // Mayotte shares +262 with La Réunion
		{KindPhone, "+262 262 40 00 00", "RE", true},
		{KindPhone, "+1 416 555 0100", "CA", true},
		{KindIBAN, "DE89 3704 0044 0532 0130 00", "DE", true},
		{KindIBAN, "FR76 3000 6000 0112 3456 7890 189", "FR", true},
		{KindIBAN, "ZZ12", "", false},
		{KindIBAN, "", "", false},
		{KindPhone, "0612345678", "", false}, // not E.164: not a canonical phone number
		{KindDomain, "example.be", "", true}, // a ccTLD is no place
		{KindEmail, "a@example.de", "", true},
		{KindURL, "https://example.ru/", "", true},
	} {
		canonical := tt.input
		if tt.normalise {
			x := Normalize(tt.kind, tt.input)
			if !x.Valid {
				t.Fatalf("%s %q: invalid (%s)", tt.kind, tt.input, x.Reason)
			}
			canonical = x.Canonical
			if x.Country != "" && x.Country != tt.want {
				t.Errorf("%s %q: Normalize says %s, want %s", tt.kind, tt.input, x.Country, tt.want)
			}
		}
		if got := CountryOf(tt.kind, canonical); got != tt.want {
			t.Errorf("CountryOf(%s, %q) = %q, want %q", tt.kind, canonical, got, tt.want)
		}
	}
}
