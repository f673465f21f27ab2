package xarf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

// The corpus tests read the shared X-ARF samples and schemas at run time
// (they keep their own licences and are never copied here):
// $GUICHET_CORPUS/xarf, or ../shared/corpus/xarf beside the checkout.
// Without them they skip — or fail when CI or GUICHET_REQUIRE_CORPUS is
// set.

func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "xarf")
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+"schemas"+string(filepath.Separator)) || strings.Contains(p, "test-definitions") {
			return nil
		}
		if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".eml") {
			paths = append(paths, p)
		}
		return nil
	})
	invalid := map[string]struct{ code, path string }{
		"schema_violations/invalid_class.json":                     {CodeUnknownCategory, "$.category"},
		"schema_violations/missing_xarf_version.json":              {CodeMissingVersion, "$.xarf_version"},
		"missing_fields/missing_reporter.json":                     {CodeRequired, "$.reporter"},
		"business_rule_violations/messaging_missing_protocol.json": {CodeRequired, "$.protocol"},
		"malformed_data/invalid_json.json":                         {CodeMalformedJSON, "$"},
	}
	parsed, refused := 0, 0
	pairs := map[string]bool{}
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(b)
		var pe *ProblemError
		switch {
		case err == nil:
			parsed++
		case errors.As(err, &pe):
			refused++
		default:
			t.Errorf("%s: untyped error %v", rel, err)
			continue
		}
		switch {
		case strings.HasPrefix(rel, "xarf-spec/samples/v4/"):
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			pairs[r.Category+"/"+r.Type] = true
			if len(r.Indicators) == 0 {
				t.Errorf("%s: no indicator", rel)
			}
		case strings.Contains(rel, "/v3/"):
			if err != nil {
				t.Errorf("%s: %v", rel, err)
			} else if r.LegacyVersion != "3" {
				t.Errorf("%s: legacy_version %q", rel, r.LegacyVersion)
			}
		case strings.Contains(rel, "/samples/invalid/"):
			_, key, _ := strings.Cut(rel, "/samples/invalid/")
			want, ok := invalid[key]
			if !ok {
				t.Errorf("%s: an invalid sample this test does not know", rel)
				continue
			}
			if err == nil {
				t.Errorf("%s: parsed, want %s", rel, want.code)
				continue
			}
			found := false
			for _, x := range pe.Problems {
				found = found || (x.Code == want.code && x.Path == want.path)
			}
			if !found {
				t.Errorf("%s: problems %+v lack %s at %s", rel, pe.Problems, want.code, want.path)
			}
			delete(invalid, key)
		case strings.HasPrefix(rel, "abuseio-xarf-email-v0.x/"):
			if err == nil || pe.Code() != CodeUnsupportedVersion {
				t.Errorf("%s: %v, want %s", rel, err, CodeUnsupportedVersion)
			}
		case err != nil:
			t.Logf("%s: refused: %s at %s (%d problems)", rel, pe.Code(), pe.Path(), len(pe.Problems))
		}
	}
	for key := range invalid {
		t.Errorf("invalid sample %s not found", key)
	}
	if len(pairs) != len(typeRules) {
		t.Errorf("the spec's v4 samples covered %d of %d category/type pairs", len(pairs), len(typeRules))
	}
	t.Logf("%d of %d samples parsed, %d refused with a typed problem", parsed, len(paths), refused)
}
