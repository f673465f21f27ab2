package receipt

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/typography"
)

// frenchStrings lists every string held by v (a struct of labels), its
// slices and maps included, with the name of its field.
func frenchStrings(v reflect.Value, name string) map[string]string {
	out := map[string]string{}
	switch v.Kind() {
	case reflect.String:
		out[name] = v.String()
	case reflect.Pointer:
		return frenchStrings(v.Elem(), name)
	case reflect.Struct:
		for i := range v.NumField() {
			for k, s := range frenchStrings(v.Field(i), name+"."+v.Type().Field(i).Name) {
				out[k] = s
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			for k, s := range frenchStrings(v.Index(i), name+"["+string(rune('0'+i))+"]") {
				out[k] = s
			}
		}
	case reflect.Map:
		for _, key := range v.MapKeys() {
			out[name+"["+key.String()+"]"] = v.MapIndex(key).String()
		}
	}
	return out
}

// TestFrenchLabels: every French string of both PDFs keeps its marks, times
// and ranges on the line of the word before them (internal/typography).
func TestFrenchLabels(t *testing.T) {
	all := frenchStrings(reflect.ValueOf(catalogue["fr"]), "receipt")
	for k, s := range frenchStrings(reflect.ValueOf(complaintLabels), "complaint") {
		all[k] = s
	}
	if len(all) < 60 {
		t.Fatalf("only %d French strings found", len(all))
	}
	for k, s := range all {
		for _, f := range typography.Faults(s) {
			t.Errorf("%s: %s", k, f)
		}
	}
}

// TestPDFFrenchTypography: in the French PDF, a narrow no-break space
// becomes the core font's no-break space (cp1252 has no U+202F) and a
// range's word joiner disappears rather than print as a stray glyph; and
// fpdf, which breaks lines at plain spaces only, never starts a line with a
// mark, a dash or the unit of a time, however the text wraps.
func TestPDFFrenchTypography(t *testing.T) {
	r := sample()
	r.UnitHours = []string{
		typography.French("Du lundi au samedi, 8 h – 12 h, 14 h – 18 h ; le dimanche et les jours fériés, 9 h – 12 h, 15 h 30 – 18 h 30"),
		typography.French("Rendez-vous de pré-plainte : du lundi au vendredi, 9 h – 12 h, 14 h – 17 h 30"),
	}
	b, err := PDF(r)
	if err != nil {
		t.Fatal(err)
	}
	raw := rawPageText(t, b)
	for _, want := range []string{
		"9\u00a0h\u00a0–\u00a012\u00a0h", "15\u00a0h\u00a030\u00a0–\u00a018\u00a0h\u00a030", "pré-plainte\u00a0: du lundi",
		"registre public\u00a0: personne", "Pour vérification technique\u00a0:",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("French PDF lacks %q", want)
		}
	}
	if strings.ContainsAny(raw, "\u202f\u2060") {
		t.Error("French PDF holds characters its font cannot show")
	}

	// A long hint, shifted letter by letter so that lines end at every
	// place in turn: each break must fall on a plain space.
	wrapped := 0
	for shift := range 24 {
		r.TrackingHint = typography.French(strings.Repeat("a", shift) + " " +
			strings.Repeat("Ouvert de 9 h 30 – 12 h : oui ; fermé ? non ! ", 6))
		b, err := PDF(r)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(rawPageText(t, b), "\n")
		for i, l := range lines {
			if i == 0 || !strings.Contains(lines[i-1], "Ouvert de") {
				continue
			}
			wrapped++
			if l = strings.TrimLeft(l, " "); l == "" {
				continue
			}
			if first, _ := utf8.DecodeRuneInString(l); strings.ContainsRune(":;?!–h", first) || strings.HasPrefix(l, "30 ") || strings.HasPrefix(l, "12 ") {
				t.Errorf("a line of the PDF starts with a mark, a dash or the end of a time: %q (after %q)", l, lines[i-1])
			}
		}
	}
	if wrapped < 24*3 {
		t.Errorf("the long hint wrapped over %d lines only; the test proves little", wrapped)
	}
}
