package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBenchARF runs the figure small: it prints both figures for the
// synthetic mbox, which gives one content key, and restores GOMAXPROCS.
func TestBenchARF(t *testing.T) {
	dir := t.TempDir()
	// One corpus sample of our own, so that the corpus figure runs too.
	sample := "From: fbl@example.org\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n" +
		"--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\nSource-IP: 192.0.2.1\n" +
		"--b\nContent-Type: message/rfc822\n\nSubject: x\n\nhttp://spam.example.com/\n--b--\n"
	if err := os.WriteFile(filepath.Join(dir, "a.eml"), []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"bench", "arf", "--messages", "200", "--time", "20ms", "--corpus", dir}, os.Getenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{"GOMAXPROCS 1", "corpus: 1 samples", "parse only", "parse + convert", "200 messages in", "0 typed problems, 1 distinct content key(s)",
		"through POST /api/v1/arf", "200 messages, ", "1 filed, 199 duplicates", "200 filed, 0 duplicates"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if runtime.GOMAXPROCS(0) != procs {
		t.Errorf("GOMAXPROCS left at %d", runtime.GOMAXPROCS(0))
	}
}
