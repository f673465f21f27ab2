package web

import (
	"os"
	"regexp"
	"testing"
)

// TestFeedCodesTranslated: every stable code the ARF, X-ARF and intake
// readers refuse an item with — the key the partner API names in an
// invalid-fields problem — has its message in both languages, and so do
// the API's own feed messages.
func TestFeedCodesTranslated(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`Code[A-Za-z0-9]+\s*=\s*"((?:arf|xarf|intake)\.[a-z0-9_]+)"`)
	keys := []string{"api.err.empty", "api.err.media_type_arf", "api.counted.intake.not_spam", "api.counted.intake.opt_out"}
	for _, f := range []string{"../arf/problem.go", "../xarf/problem.go", "../intake/intake.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms := code.FindAllStringSubmatch(string(b), -1)
		if len(ms) < 5 {
			t.Fatalf("%s: only %d codes found: the scan is broken", f, len(ms))
		}
		for _, m := range ms {
			keys = append(keys, m[1])
		}
	}
	for _, k := range keys {
		for lang, c := range cats {
			if !c.Has(k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}
