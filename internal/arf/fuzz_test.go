package arf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(fixture("\n", fields, original)))
	f.Add([]byte(fixture("\r\n", fields, original)))
	f.Add([]byte(fixture("\r", "Feedback-Type: abuse", "Subject: x\n")))
	f.Add([]byte("From x\n" + fixture("\n", fields, original)))
	if dir, ok := corpus.Find("arf"); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "rfc", "*.eml"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	small := Options{MaxMessageBytes: 1 << 20, MaxParts: 50, MaxHeaderBytes: 16 << 10, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := small.Parse(bytes.NewReader(b))
		if err != nil {
			var pe *ProblemError
			if !errors.As(err, &pe) || pe.Code == "" || !strings.HasPrefix(pe.Code, "arf.") {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if r.FeedbackType == "" {
			t.Fatal("a report without a feedback type")
		}
		_ = r.Indicators()
		for _, err := range small.Mbox(bytes.NewReader(b)) {
			var pe *ProblemError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("mbox: untyped error %v", err)
			}
		}
	})
}
