package caseref

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for i := 0; i < 1000; i++ {
		r, err := New(PreComplaint, 2026, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s := r.String()
		if len(s) != 17 || !strings.HasPrefix(s, "PP-2026-") {
			t.Fatalf("bad format %q", s)
		}
		got, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got != r {
			t.Fatalf("Parse(%q) = %v, want %v", s, got, r)
		}
		// Sloppy typing is forgiven.
		sloppy := strings.ToLower(strings.ReplaceAll(s, "-", " "))
		if got, err := Parse(sloppy); err != nil || got != r {
			t.Fatalf("Parse(%q) = %v, %v", sloppy, got, err)
		}
	}
}

func TestChecksumCatchesTypos(t *testing.T) {
	r, err := New(Report, 2026, bytes.NewReader(bytes.Repeat([]byte{7, 19, 3, 30, 12, 0, 25}, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s := r.String()
	// Every single-symbol substitution in the year, body or check is caught.
	for i := 3; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		for _, c := range alphabet {
			if byte(c) == s[i] {
				continue
			}
			mut := s[:i] + string(c) + s[i+1:]
			if _, err := Parse(mut); err == nil {
				t.Errorf("substitution %q accepted", mut)
			}
		}
	}
	// Every adjacent transposition of distinct symbols in the body is caught.
	clean := strings.ReplaceAll(s, "-", "")
	for i := 6; i+1 < len(clean); i++ {
		if clean[i] == clean[i+1] {
			continue
		}
		b := []byte(clean)
		b[i], b[i+1] = b[i+1], b[i]
		if _, err := Parse(string(b)); err == nil {
			t.Errorf("transposition %q accepted", b)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "PP", "XX-2026-7KQ3-M9TX", "PP-20A6-7KQ3-M9TX", "PP-2026-7KQ3-M9T", "PP-2026-7KQ3-M9TXX", "PP-2026-7KQ3-M9T!", strings.Repeat("A", 100)} {
		if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestCodes(t *testing.T) {
	c, err := NewCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 16 {
		t.Fatalf("code %q", c)
	}
	got, err := ParseCode(strings.ToLower(c.String()))
	if err != nil || got != c {
		t.Fatalf("ParseCode(%q) = %q, %v", c.String(), got, err)
	}
	if _, err := ParseCode("short"); !errors.Is(err, ErrBadCode) {
		t.Fatalf("short code: %v", err)
	}
	h, err := NewHasher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if Equal(h.Sum("track", c), h.Sum("draft", c)) {
		t.Fatal("purposes must give different digests")
	}
	if !Equal(h.Sum("track", c), h.Sum("track", got)) {
		t.Fatal("same code must give the same digest")
	}
	if _, err := NewHasher([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("PP-2026-7KQ3-M9TX")
	f.Add("pp 2026 7kq3 m9tx")
	f.Add("AL-9999-ZZZZ-ZZZZ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("round trip of %q: %v, %v", r.String(), again, err)
		}
	})
}

func FuzzParseCode(f *testing.F) {
	f.Add("7KQ3-M9TX-AB12-CD34")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		again, err := ParseCode(c.String())
		if err != nil || again != c {
			t.Fatalf("round trip of %q: %q, %v", c, again, err)
		}
	})
}
