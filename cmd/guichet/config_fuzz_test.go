package main

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseDuration: a GUICHET_* duration either parses to a positive
// duration or is refused, never a panic; "Nd" is N whole days.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1h", "90m", "30d", "0d", "-3d", "d", "9999999999999d", "1.5h", "", "365d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("parseDuration(%q) = %v, want > 0", s, d)
		}
		if strings.HasSuffix(s, "d") && d%(24*time.Hour) != 0 {
			t.Fatalf("parseDuration(%q) = %v, not whole days", s, d)
		}
	})
}
