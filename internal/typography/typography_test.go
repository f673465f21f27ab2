package typography

import (
	"strings"
	"testing"
)

// readable shows the spaces of French typography: "⍽" for U+202F, "~" for
// U+00A0 and "+" for the word joiner, so that expectations read as text.
func readable(s string) string {
	return strings.NewReplacer(NarrowNBSP, "⍽", NBSP, "~", WordJoiner, "+").Replace(s)
}

func TestFrench(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// High punctuation, whatever space was typed, or none.
		{"Préparez :", "Préparez⍽:"},
		{"Par exemple: 69003", "Par exemple⍽: 69003"},
		{"Quand ?", "Quand⍽?"},
		{"Vraiment !", "Vraiment⍽!"},
		{"votre adresse ;", "votre adresse⍽;"},
		{"Nom\u00a0: Martin", "Nom⍽: Martin"},
		{"Où ? Quand ? Comment ?", "Où⍽? Quand⍽? Comment⍽?"},
		{"{0} : {1}", "{0}⍽: {1}"},
		{"Étape 1 sur 2 : choisissez", "Étape 1 sur 2⍽: choisissez"},
		{"« Suivre mon dossier » ?", "«⍽Suivre mon dossier⍽»⍽?"},
		{"Vraiment ?!", "Vraiment⍽?!"},
		{"(?)", "(?)"},
		// Marks that are code stay as they are.
		{"24/11/2026 14:30 (jj/mm/aaaa hh:mm).", "24/11/2026 14:30 (jj/mm/aaaa hh:mm)."},
		{"https://www.service-public.fr/?a=b", "https://www.service-public.fr/?a=b"},
		{"Voir /suivi?ref=PP-1", "Voir /suivi?ref=PP-1"},
		// Guillemets.
		{"« parking de la gare »", "«⍽parking de la gare⍽»"},
		{"«oui»", "«⍽oui⍽»"},
		// Times and ranges.
		{"9 h – 12 h", "9⍽h⍽–+⍽12⍽h"},
		{"9 h–12 h", "9⍽h⍽–+⍽12⍽h"},
		{"9h-12h30", "9⍽h⍽–+⍽12⍽h⍽30"},
		{"14 h 30 – 17 h 30", "14⍽h⍽30⍽–+⍽17⍽h⍽30"},
		{"Accueil 24 h/24, 7 j/7", "Accueil 24⍽h/24, 7⍽j/7"},
		{"vers 15 h, j’ai vu", "vers 15⍽h, j’ai vu"},
		// A time may hold either no-break space; a range's dash is joined.
		{"à 14\u00a0h\u00a030", "à 14~h~30"},
		{"9\u00a0h\u00a0–\u00a012\u00a0h", "9~h⍽–+⍽12~h"},
		// Words that look like units are left alone.
		{"le 2 j’ai", "le 2 j’ai"},
		{"8 heures", "8 heures"},
		{"SHA-256 hachage", "SHA-256 hachage"},
		{"", ""},
	} {
		got := French(tt.in)
		if readable(got) != tt.want {
			t.Errorf("French(%q) = %q, want %q", tt.in, readable(got), tt.want)
		}
		if again := French(got); again != got {
			t.Errorf("French is not idempotent on %q: %q", readable(got), readable(again))
		}
		if f := Faults(got); len(f) != 0 {
			t.Errorf("Faults(French(%q)) = %q", tt.in, f)
		}
		if f := Faults(tt.in); (len(f) == 0) != (got == tt.in) {
			t.Errorf("Faults(%q) = %q, but French changes it: %v", tt.in, f, got != tt.in)
		}
	}
}

func TestFaults(t *testing.T) {
	f := Faults("Urgence : appelez le 17. Quand? De 9 h – 12 h.")
	want := []string{"before « : ; ? ! »", "before « : ; ? ! »", "inside a time", "inside a time", "range"}
	if len(f) != len(want) {
		t.Fatalf("Faults = %q, want %d", f, len(want))
	}
	for i, w := range want {
		if !strings.Contains(f[i], w) {
			t.Errorf("fault %d = %q, want it to say %q", i, f[i], w)
		}
	}
	if !strings.Contains(f[0], "Urgence : appelez") {
		t.Errorf("fault %q does not show where it is", f[0])
	}
}
