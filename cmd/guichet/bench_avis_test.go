package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestBenchAvisSmall(t *testing.T) {
	var out bytes.Buffer
	if err := benchAvis(t.Context(), []string{"--bulletins", "4", "--time", "10ms"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"floor: store read", "Atom feed (read + render)", "CAP-in-Atom index", "one CAP alert", "the store read"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench avis output lacks %q:\n%s", want, out.String())
		}
	}
	if err := benchAvis(t.Context(), []string{"--bulletins", "0"}, io.Discard, io.Discard); err == nil {
		t.Error("--bulletins 0 accepted")
	}
}
