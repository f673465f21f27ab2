package complaint

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/guichet/guichet"
)

// plateCases are the plates citizens type, with what guichet keeps.
var plateCases = []struct {
	in, country string
	want        string
	foreign     bool
}{
	// SIV, however typed.
	{"ab 123 cd", "", "AB-123-CD", false},
	{"AB123CD", "", "AB-123-CD", false},
	{"ab-123-cd", "", "AB-123-CD", false},
	{"  Ab - 123 - cD ", "", "AB-123-CD", false},
	{"gh-417-kt", "FR", "GH-417-KT", false},
	{"GH417KT", "fr", "GH-417-KT", false},
	{"ab\u00a0123\u00a0cd", "", "AB-123-CD", false},
	{"ab–123–cd", "", "AB-123-CD", false}, // en dashes from a phone keyboard
	// FNI, before 2009: digits, letters, département.
	{"123 abc 75", "", "123 ABC 75", false},
	{"123ABC75", "", "123 ABC 75", false},
	{"1234 ab 69", "", "1234 AB 69", false},
	{"1234-AB-69", "", "1234 AB 69", false},
	{"12 a 2b", "", "12 A 2B", false},
	{"12A2B", "", "12 A 2B", false},
	{"123 ABC 2A", "", "123 ABC 2A", false},
	{"45 ABC 974", "", "45 ABC 974", false},
	{"1234 ab 56", "", "1234 AB 56", false},
	// Foreign: said so, or in no French format.
	{"m ab 1234", "DE", "M AB 1234", true},
	{"LÖ-X 42", "DE", "LÖ-X 42", true},
	{"m   ab  1234", "", "M AB 1234", true},
	{"AB 123 CD", "IT", "AB 123 CD", true}, // an Italian plate reads as a SIV one
	{"1-abc-123", "", "1-ABC-123", true},
	{"ab12 cde", "GB", "AB12 CDE", true},
	{"ab12 cde", "", "AB12 CDE", true},
	{"vd 123456", "", "VD 123456", true},
	{"мв 1234 ак", "", "МВ 1234 АК", true},
	{"A", "US", "A", true}, // a vanity plate, its country said
}

func TestNormalizePlate(t *testing.T) {
	for _, tt := range plateCases {
		got, err := NormalizePlate(tt.in, tt.country)
		if err != nil || got.Text != tt.want || got.Foreign != tt.foreign {
			t.Errorf("NormalizePlate(%q, %q) = %+v, %v; want %q foreign=%v", tt.in, tt.country, got, err, tt.want, tt.foreign)
		}
	}
	for _, tt := range []struct{ in, country string }{
		{"", ""}, {"   ", ""}, {"--", "DE"},
		{"ABC", ""},                          // no digit: not a plate
		{"XX", ""},                           // too short to be a plate of unknown country
		{"OO-123-AA", ""},                    // SIV has no O
		{"GH-4177-KT", ""},                   // a SIV plate with a digit too many
		{"M AB 1234", "FR"},                  // said French, in no French format
		{"AB.123.CD", ""},                    // dots are not plate characters
		{"<script>", "DE"},                   // nor are brackets
		{"1234567890123456", "DE"},           // too long
		{"ab 123 cd\x00", ""},                // NUL
		{string([]byte{0xff, 'A', '1'}), ""}, // not UTF-8
		{"ǃ123", "DE"},                       // a click letter, not Latin upper case
	} {
		if p, err := NormalizePlate(tt.in, tt.country); !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("NormalizePlate(%q, %q) = %+v, %v; want ErrInvalid", tt.in, tt.country, p, err)
		}
	}
}

func TestItemForeignPlate(t *testing.T) {
	if (Item{Plate: "AB-123-CD"}).ForeignPlate() {
		t.Error("SIV plate marked foreign")
	}
	if !(Item{Plate: "M AB 1234", PlateCountry: "DE"}).ForeignPlate() {
		t.Error("German plate not marked foreign")
	}
	if (Item{}).ForeignPlate() {
		t.Error("no plate marked foreign")
	}
}

// FuzzPlate: NormalizePlate never panics; what it returns is made of plate
// characters only, within the length limit, and normalises to itself.
func FuzzPlate(f *testing.F) {
	for _, tt := range plateCases {
		f.Add(tt.in, tt.country)
	}
	f.Add("OO-123-AA", "")
	f.Add("- -a- -", "")
	f.Add("ǅ1 2", "HR")
	f.Fuzz(func(t *testing.T, in, country string) {
		p, err := NormalizePlate(in, country)
		if err != nil {
			if !errors.Is(err, guichet.ErrInvalid) {
				t.Fatalf("NormalizePlate(%q, %q): %v", in, country, err)
			}
			return
		}
		if p.Text == "" || utf8.RuneCountInString(p.Text) > maxPlate {
			t.Fatalf("NormalizePlate(%q, %q) = %q: empty or too long", in, country, p.Text)
		}
		prev := ' '
		for i, r := range p.Text {
			switch {
			case r == ' ' || r == '-':
				if i == 0 || prev == ' ' || prev == '-' {
					t.Fatalf("NormalizePlate(%q, %q) = %q: separator at %d", in, country, p.Text, i)
				}
			case !plateRune(r):
				t.Fatalf("NormalizePlate(%q, %q) = %q: %q is not a plate character", in, country, p.Text, r)
			}
			prev = r
		}
		if prev == ' ' || prev == '-' {
			t.Fatalf("NormalizePlate(%q, %q) = %q: ends with a separator", in, country, p.Text)
		}
		again, err := NormalizePlate(p.Text, country)
		if err != nil || again != p {
			t.Fatalf("not idempotent: %q → %+v → %+v, %v", in, p, again, err)
		}
	})
}
