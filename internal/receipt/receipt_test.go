package receipt

import (
	"bytes"
	"compress/zlib"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.pdf from the current output")

const checkpoint = `guichet.example/log
4821
aGVsbG8gd29ybGQgdGhpcyBpcyBhIHJvb3QgaGFzaCE=

— guichet.example/log Az3grh4Ln8z0q2vC0m5hZk3u8cB0AqDjq7Xk1F7sQmWbq9X2bTnYVbNnk7XbY7QkR8X9pZf1iGm6c9JmVt3oYbQ3nA8=
`

func sample() Receipt {
	return Receipt{
		Lang:         "fr",
		Ref:          "PP-2026-7KQ3-M9TX",
		Category:     "Vol de vélo ou de trottinette",
		SubmittedAt:  time.Date(2026, 3, 12, 13, 5, 42, 0, time.UTC),
		UnitName:     "Commissariat de police de Lyon 3e arrondissement",
		UnitAddress:  "52 rue Paul Bert, 69003 Lyon",
		UnitPhone:    "04 78 60 20 20",
		UnitHours:    []string{"Accueil 24\u202fh/24, 7\u202fj/7", "Rendez-vous de pré-plainte\u202f: du lundi au vendredi, 9\u202fh\u202f–\u202f12\u202fh, 14\u202fh\u202f–\u202f17\u202fh\u202f30"},
		Appointment:  time.Date(2026, 3, 16, 8, 30, 0, 0, time.UTC),
		StatusURL:    "https://guichet.example/suivi/PP-2026-7KQ3-M9TX",
		TrackingHint: "Gardez précieusement le code de suivi qui vous a été remis lors du dépôt : il est demandé pour consulter votre dossier et ne figure pas sur ce récépissé.",
		LogIndex:     4820,
		Checkpoint:   checkpoint,
	}
}

var cases = map[string]func() Receipt{
	"fr": sample,
	"en": func() Receipt {
		r := sample()
		r.Lang = "en"
		r.Category = "Theft of a bicycle or scooter"
		r.UnitHours = []string{"Open 24/7", "Pre-complaint appointments: Monday–Friday 9\u00a0am–12\u00a0pm, 2\u00a0pm–5:30\u00a0pm"}
		r.TrackingHint = "Keep the tracking code you were given at submission: you need it to open your case, and it is not printed on this receipt."
		return r
	},
	"fr-minimal": func() Receipt {
		r := sample()
		r.Ref = "PP-2026-0A1B-C2DZ"
		r.Category = "Escroquerie"
		r.SubmittedAt = time.Date(2026, 7, 31, 22, 10, 0, 0, time.UTC) // 1 August in Paris
		r.UnitName, r.UnitAddress, r.UnitPhone, r.UnitHours = "", "", "", nil
		r.Appointment = time.Time{}
		r.StatusURL = "https://guichet.example/suivi/PP-2026-0A1B-C2DZ"
		r.TrackingHint = ""
		r.LogIndex = -1
		r.Checkpoint = ""
		return r
	},
}

func TestGolden(t *testing.T) {
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := PDF(mk())
			if err != nil {
				t.Fatalf("PDF: %v", err)
			}
			path := filepath.Join("testdata", name+".golden.pdf")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/receipt -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (%d vs %d bytes); if the change is intended, run go test ./internal/receipt -update and look at the result", path, len(got), len(want))
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	b, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same receipt differ")
	}
	// The same instant in another zone is the same receipt.
	r := sample()
	r.SubmittedAt = r.SubmittedAt.In(time.FixedZone("X", 5*3600))
	c, err := PDF(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) {
		t.Fatal("receipt depends on the time zone of SubmittedAt")
	}
}

func TestContent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		want    []string
		notWant []string
	}{
		{"fr", []string{
			"PP-2026-7KQ3-M9TX",
			"Récépissé de pré-plainte en ligne",
			"jeudi 12 mars 2026 à 14 h 05", // 13:05 UTC is 14:05 in Paris (CET)
			"lundi 16 mars 2026 à 9 h 30",
			"Vol de vélo ou de trottinette",
			"Commissariat de police de Lyon 3e arrondissement", "52 rue Paul Bert, 69003 Lyon",
			"Ceci n’est pas une plainte", "pièce d’identité", "factures", "numéros de série",
			"https://guichet.example/suivi/PP-2026-7KQ3-M9TX",
			"sous le numéro 4820", "Tél. 04 78 60 20 20", "Horaires", "Accueil 24 h/24, 7 j/7",
			"du lundi au vendredi, 9 h – 12 h, 14 h – 17 h 30",
			"guichet.example/log", "— guichet.example/log",
		}, nil},
		{"en", []string{
			// Times as the English pages write them (13:05 UTC is 2:05 pm in Paris).
			"Online pre-complaint receipt", "Thursday 12 March 2026, 2:05 pm",
			"Monday 16 March 2026, 9:30 am", "This is not a complaint", "identity document",
			"at index 4820", "Tel. 04 78 60 20 20", "Opening hours", "Open 24/7", "Monday–Friday 9 am–12 pm, 2 pm–5:30 pm",
		}, []string{"Récépissé", "14:05", "09:30"}},
		{"fr-minimal", []string{
			"samedi 1er août 2026 à 0 h 10", // summer time: UTC+2
			"Aucun rendez-vous réservé", "en cours",
		}, []string{"Service choisi", "sous le numéro", "Point de contrôle", "Pour vérification technique", "Horaires", "Tél."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := PDF(cases[tc.name]())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatalf("does not start with %%PDF-: %q", b[:min(8, len(b))])
			}
			if !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
				t.Fatalf("does not end with the %%EOF marker")
			}
			text := pageText(t, b)
			for _, s := range tc.want {
				if !strings.Contains(text, s) {
					t.Errorf("page text lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(text, s) {
					t.Errorf("page text has %q", s)
				}
			}
		})
	}
}

// TestDocumentDates checks that the document dates come from SubmittedAt,
// never from the wall clock, which would break determinism.
func TestDocumentDates(t *testing.T) {
	b, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b)
	if !strings.Contains(raw, "/CreationDate (D:20260312130542)") {
		t.Error("creation date is not SubmittedAt")
	}
	if strings.Contains(raw, time.Now().UTC().Format("20060102")) {
		t.Error("output contains today's date")
	}
}

func TestOddInput(t *testing.T) {
	r := sample()
	r.Category = "Vol 📱 de téléphone 中文 \x00\x1b[31m (déclaré) ‑ œuvre « Ÿ »"
	r.UnitName = "Brigade\tde\r\ngendarmerie\u202fde Saint‑Étienne"
	r.UnitAddress = ")\\(Tj) injection attempt ET BT"
	r.TrackingHint = strings.Repeat("é", 400)
	b, err := PDF(r)
	if err != nil {
		t.Fatal(err)
	}
	text := pageText(t, b)
	for _, s := range []string{"œuvre « Ÿ »", "Saint-Étienne", ")\\(Tj) injection attempt ET BT"} {
		if !strings.Contains(text, s) {
			t.Errorf("page text lacks %q", s)
		}
	}
}

func TestLanguageFallback(t *testing.T) {
	for lang, want := range map[string]string{"": "Récépissé", "fr": "Récépissé", "de": "Récépissé", "en": "Online", "en-GB": "Online", "EN": "Online"} {
		r := sample()
		r.Lang = lang
		b, err := PDF(r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pageText(t, b), want) {
			t.Errorf("Lang %q: want %q labels", lang, want)
		}
	}
}

func TestValidation(t *testing.T) {
	for name, mutate := range map[string]func(*Receipt){
		"no ref":         func(r *Receipt) { r.Ref = "" },
		"no time":        func(r *Receipt) { r.SubmittedAt = time.Time{} },
		"no url":         func(r *Receipt) { r.StatusURL = "" },
		"relative url":   func(r *Receipt) { r.StatusURL = "/suivi/PP" },
		"javascript url": func(r *Receipt) { r.StatusURL = "javascript:alert(1)" },
		"long category":  func(r *Receipt) { r.Category = strings.Repeat("x", 201) },
		"long url":       func(r *Receipt) { r.StatusURL = "https://x.example/" + strings.Repeat("a", 600) },
	} {
		t.Run(name, func(t *testing.T) {
			r := sample()
			mutate(&r)
			_, err := PDF(r)
			if !errors.Is(err, guichet.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestFrenchDate(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 3, 12, 14, 5, 0, 0, paris): "jeudi 12 mars 2026 à 14 h 05",
		time.Date(2026, 2, 1, 9, 0, 0, 0, paris):   "dimanche 1er février 2026 à 9 h 00",
		time.Date(2026, 12, 31, 0, 0, 0, 0, paris): "jeudi 31 décembre 2026 à 0 h 00",
	} {
		if got := strings.ReplaceAll(frenchDate(in), "\u00a0", " "); got != want {
			t.Errorf("frenchDate(%v) = %q, want %q", in, got, want)
		}
	}
}

// pageText returns the text shown by the PDF's content streams, decoded
// from cp1252: the strings of Tj operators, in order, separated by newlines.
func pageText(t *testing.T, pdf []byte) string {
	t.Helper()
	// No-break spaces read as spaces.
	return strings.ReplaceAll(rawPageText(t, pdf), "\u00a0", " ")
}

// rawPageText is pageText with its no-break spaces kept.
func rawPageText(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	streams := regexp.MustCompile(`(?s)/Filter /FlateDecode /Length \d+>>\nstream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1)
	if len(streams) == 0 {
		t.Fatal("no compressed streams")
	}
	tj := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
	for _, m := range streams {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // an image, say
		}
		content, err := io.ReadAll(zr)
		if err != nil {
			continue
		}
		for _, s := range tj.FindAllSubmatch(content, -1) {
			out.WriteString(cp1252(unescape(s[1])))
			out.WriteByte('\n')
		}
	}
	return out.String()
}

func unescape(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			default:
				out = append(out, b[i])
			}
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// cp1252 decodes the few code-page characters the receipt uses.
func cp1252(b []byte) string {
	high := map[byte]rune{0x85: '…', 0x8C: 'Œ', 0x92: '’', 0x95: '•', 0x96: '–', 0x97: '—', 0x9C: 'œ', 0x9F: 'Ÿ'}
	var s strings.Builder
	for _, c := range b {
		switch {
		case c < 0x80:
			s.WriteByte(c)
		case high[c] != 0:
			s.WriteRune(high[c])
		default:
			s.WriteRune(rune(c)) // Latin-1 range matches cp1252 above 0x9F
		}
	}
	return s.String()
}

func BenchmarkPDF(b *testing.B) {
	r := sample()
	for b.Loop() {
		if _, err := PDF(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlainWords: the receipt says in plain words that the filing is
// sealed; the log index and the signed checkpoint come only after the
// small "for technical verification" label, in both languages.
func TestPlainWords(t *testing.T) {
	for _, tc := range []struct {
		name, sealed, label string
		technical           []string
	}{
		{"fr", "Votre dépôt est scellé dans un registre public : personne ne peut le modifier ou le supprimer sans que cela se voie.",
			"Pour vérification technique", []string{"sous le numéro 4820", "Point de contrôle signé", "— guichet.example/log", "4821"}},
		{"en", "Your filing is sealed in a public register: nobody can change or delete it without it showing.",
			"For technical verification", []string{"at index 4820", "Signed checkpoint", "— guichet.example/log", "4821"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := PDF(cases[tc.name]())
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(pageText(t, b), "\n", " ")
			at := strings.Index(text, tc.label)
			if at < 0 || !strings.Contains(text[:at], tc.sealed) {
				t.Fatalf("label at %d; plain words before it: %v\n%s", at, strings.Contains(text, tc.sealed), text)
			}
			before, after := text[:at], text[at:]
			for _, s := range append(tc.technical, "index", "checkpoint", "journal public", "public log", "verify") {
				if strings.Contains(before, s) {
					t.Errorf("%q before the technical label", s)
				}
			}
			for _, s := range tc.technical {
				if !strings.Contains(after, s) {
					t.Errorf("%q missing after the technical label", s)
				}
			}
		})
	}
}

// TestOnePage: a receipt with realistic data, the longest hours of the
// seed units included, holds on one page in both languages.
func TestOnePage(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		r := cases[lang]()
		r.UnitName = "Brigade de gendarmerie de Saint-Rémy-de-Provence"
		r.UnitAddress = "1 avenue Durand-Maillane, 13210 Saint-Rémy-de-Provence"
		r.UnitHours = []string{
			"Du lundi au samedi, 8\u202fh\u202f–\u202f12\u202fh, 14\u202fh\u202f–\u202f18\u202fh",
			"Le dimanche et les jours fériés, 9\u202fh\u202f–\u202f12\u202fh, 15\u202fh\u202f–\u202f18\u202fh",
			"En dehors de ces horaires, composez le 17",
		}
		b, err := PDF(r)
		if err != nil {
			t.Fatal(err)
		}
		if n := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(b); n == nil || string(n[1]) != "1" {
			t.Errorf("%s: the receipt runs over %s pages", lang, n[1])
		}
	}
}
