package xarf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(spam))
	f.Add([]byte(`{"Version":"3.0.0","ReporterInfo":{"ReporterOrg":"A","ReporterOrgEmail":"a@a.test"},"Report":{"ReportType":"DDoS","Date":"2026-03-03T10:00:00Z","Source":{"IP":"192.0.2.1","Port":53}}}`))
	f.Add([]byte("From: a@b.test\n\nx"))
	if dir, ok := corpus.Find("xarf"); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "xarf-spec", "samples", "v4", "*.json"))
		for _, p := range paths[:min(len(paths), 8)] {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			var pe *ProblemError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("untyped error %v", err)
			}
			for _, p := range pe.Problems {
				if !strings.HasPrefix(p.Code, "xarf.") || !strings.HasPrefix(p.Path, "$") {
					t.Fatalf("problem %+v", p)
				}
			}
			return
		}
		if r.Category == "" || r.Type == "" || r.ReportID == "" {
			t.Fatalf("a valid report without category, type or id: %+v", r)
		}
	})
}
