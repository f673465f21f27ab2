package complaint

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet"
)

// Registration plates.
//
// French plates are put in their canonical form whatever the spacing and
// case they were typed with: SIV plates (since 2009) as "AB-123-CD", older
// FNI plates as "123 ABC 75" (digits, letters, département, Corsica's 2A
// and 2B and overseas 97x included). A plate of another country is kept as
// typed, trimmed, with its spaces collapsed and in upper case, and marked
// foreign.

// maxPlate bounds a plate, in characters.
const maxPlate = 15

var (
	// Separators stripped: SIV letters exclude I, O and U.
	plateSIV = regexp.MustCompile(`^([A-HJ-NP-TV-Z]{2})(\d{3})([A-HJ-NP-TV-Z]{2})$`)
	plateFNI = regexp.MustCompile(`^(\d{1,4})([A-Z]{1,3})(\d{2}|2A|2B|97\d)$`)
	// The shape of a SIV plate with a letter SIV never uses or a digit too
	// many or too few: most likely a French plate mistyped.
	plateNearSIV = regexp.MustCompile(`^[A-Z]{2}\d{2,4}[A-Z]{2}$`)
)

// Plate is a registration plate as guichet keeps it.
type Plate struct {
	// Text is the canonical form of a French plate, or a foreign plate as
	// typed (trimmed, spaces collapsed, upper case).
	Text string
	// Foreign is true for a plate that is not French.
	Foreign bool
}

// NormalizePlate reads a plate typed by a citizen. country is the ISO 3166
// code of the country that issued it, or "" when not said (France is
// assumed when the plate reads as French).
//
// With country "" or "FR", a plate in a French format is returned in its
// canonical form. With country "", a plate in no French format is taken as
// foreign when it looks like one (at least four letters or digits, one of
// them a digit) and not like a French plate mistyped ("AB-1234-CD"). With
// another country, the plate is foreign whatever its shape. The result
// holds only upper-case letters, digits, single spaces and hyphens, and
// NormalizePlate(p.Text, country) returns p again. Anything else fails with
// guichet.ErrInvalid.
func NormalizePlate(s, country string) (Plate, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	p, ok := plateText(s)
	if !ok {
		return Plate{}, guichet.ErrInvalid
	}
	compact := strings.NewReplacer(" ", "", "-", "").Replace(p)
	if country == "" || country == France {
		if m := plateSIV.FindStringSubmatch(compact); m != nil {
			return Plate{Text: m[1] + "-" + m[2] + "-" + m[3]}, nil
		}
		if m := plateFNI.FindStringSubmatch(compact); m != nil {
			return Plate{Text: m[1] + " " + m[2] + " " + m[3]}, nil
		}
		if country == France || plateNearSIV.MatchString(compact) || !plausibleForeign(compact) {
			return Plate{}, guichet.ErrInvalid
		}
	}
	return Plate{Text: p, Foreign: true}, nil
}

// plateText returns s trimmed, its runs of spaces made one space, in upper
// case, when it is made of plate characters only (see plateRune) and holds
// a letter or a digit; hyphens are kept as typed, doubled ones made one.
func plateText(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	var b strings.Builder
	alnum := false
	pending := false // a separator is due before the next character
	last := rune(0)
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			pending = b.Len() > 0
			continue
		case r == '-' || r == '‐' || r == '‑' || r == '–':
			r = '-'
		default:
			r = unicode.ToUpper(r)
			if !plateRune(r) {
				return "", false
			}
			alnum = true
		}
		if r == '-' && (last == '-' || b.Len() == 0) {
			continue
		}
		if pending && last != '-' && r != '-' {
			b.WriteByte(' ')
		}
		pending = false
		b.WriteRune(r)
		last = r
	}
	out := strings.TrimSuffix(b.String(), "-")
	if !alnum || utf8.RuneCountInString(out) > maxPlate {
		return "", false
	}
	return out, true
}

// plateRune reports whether r may appear in a plate as guichet keeps it,
// besides the space and the hyphen: an ASCII digit, or an upper-case
// letter of the Latin, Greek or Cyrillic scripts that upper-casing leaves
// alone (German district codes have Ö and Ü; Greek and Bulgarian plates
// use letters of their alphabets).
func plateRune(r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	return unicode.IsUpper(r) && unicode.ToUpper(r) == r &&
		(unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Greek, r) || unicode.Is(unicode.Cyrillic, r))
}

// plausibleForeign reports whether a compacted plate of unknown country
// looks like a plate at all: four characters or more, a digit among them.
func plausibleForeign(compact string) bool {
	return utf8.RuneCountInString(compact) >= 4 && strings.ContainsAny(compact, "0123456789")
}
