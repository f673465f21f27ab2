package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/typography"
)

var fixTypography = flag.Bool("typography", false, "rewrite i18n/*.fr.json with the spacing of French typography (then review the diff)")

// TestFrenchTypography: every French message of every catalogue keeps a
// mark, a time or a range on the line of the word before it — a narrow
// no-break space before ": ; ? !", inside « guillemets », times and ranges
// (see internal/typography). Marks that are code (14:30, https://, hh:mm)
// are left alone. With -typography, the catalogues are mended in place.
func TestFrenchTypography(t *testing.T) {
	names, err := fs.Glob(catalogueFS, "i18n/*fr.json")
	if err != nil || len(names) < 2 {
		t.Fatalf("French catalogues: %v, %v", names, err)
	}
	checked := 0
	for _, n := range names {
		b, err := catalogueFS.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if *fixTypography {
			if err := rewriteFrench(n, b, len(msgs)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for k, v := range msgs {
			checked++
			for _, f := range typography.Faults(v) {
				t.Errorf("%s %q: %s (go test ./internal/web -run TestFrenchTypography -typography mends it)", path.Base(n), k, f)
			}
		}
	}
	if !*fixTypography && checked < 300 {
		t.Errorf("only %d French messages checked", checked)
	}
}

// catalogueLine is one message of a catalogue file as they are written: a
// key and a value on a line of their own.
var catalogueLine = regexp.MustCompile(`^(\s*"[^"]+":\s*)("(?:[^"\\]|\\.)*")(,?)\s*$`)

// rewriteFrench writes the catalogue file name (read as b, holding n
// messages) with French typography applied to each value, keeping the
// order of its lines; a line of another shape is an error.
func rewriteFrench(name string, b []byte, n int) error {
	lines := strings.Split(string(b), "\n")
	seen := 0
	for i, l := range lines {
		m := catalogueLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var v string
		if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
			return err
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(typography.French(v)); err != nil {
			return err
		}
		lines[i] = m[1] + strings.TrimSpace(out.String()) + m[3]
		seen++
	}
	if seen != n {
		return &os.PathError{Op: "rewrite", Path: name, Err: fs.ErrInvalid}
	}
	return os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644)
}

// TestTemplateTypography: the text written in the templates themselves,
// outside the catalogues, is shared by both languages; it holds no French
// punctuation that would need a narrow space (a colon after a word is a
// catalogue's business), nor an unjoined time or range.
func TestTemplateTypography(t *testing.T) {
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	code := regexp.MustCompile(`(?s)<(code|pre)\b.*?</(code|pre)>`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	// A high mark that ends a phrase, not one inside a code ("14:30").
	mark := regexp.MustCompile(`\S*[:;?!](\s|$)`)
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v, %v", names, err)
	}
	for _, n := range names {
		b, err := templateFS.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		text := tags.ReplaceAllString(code.ReplaceAllString(actions.ReplaceAllString(string(b), " "), " "), " ")
		for _, m := range mark.FindAllString(text, -1) {
			t.Errorf("%s: %q is punctuation of one language: put it in the catalogues", path.Base(n), strings.TrimSpace(m))
		}
		for _, f := range typography.Faults(text) {
			t.Errorf("%s: %s", path.Base(n), f)
		}
	}
}
