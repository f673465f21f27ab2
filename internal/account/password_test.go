package account

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/guichet/guichet"
)

func TestPHCRoundTrip(t *testing.T) {
	p := Argon2{Memory: 64, Time: 2, Threads: 1}
	h, err := hashPassword("correct horse battery", p, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=2,p=1$") {
		t.Fatalf("hash %s", h)
	}
	ok, outdated, err := verifyPassword(h, "correct horse battery", p)
	if !ok || outdated || err != nil {
		t.Errorf("verify = %v %v %v", ok, outdated, err)
	}
	ok, _, _ = verifyPassword(h, "correct horse batterY", p)
	if ok {
		t.Error("wrong password accepted")
	}
	_, outdated, _ = verifyPassword(h, "correct horse battery", DefaultArgon2)
	if !outdated {
		t.Error("hash with other parameters not reported outdated")
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=64,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=16$m=64,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$t=2,m=64,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=2,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=2,p=1$$a2V5a2V5a2V5a2V5a2V5aw",
	} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC(%q) accepted", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		pw, sn, key string
	}{
		{"short", "AGT-1", "agent.err.password_short"},
		{"onze chars!", "AGT-1", "agent.err.password_short"},
		{"my agt-1 password", "AGT-1", "agent.err.password_login"},
		{strings.Repeat("x", 257), "AGT-1", "agent.err.password_long"},
		{"\xff\xfe invalid utf8", "AGT-1", "agent.err.password_invalid"},
		{"douze chars!", "AGT-1", ""},
	} {
		err := CheckPassword(tt.pw, tt.sn)
		var v *guichet.ValidationError
		switch {
		case tt.key == "" && err != nil:
			t.Errorf("%q refused: %v", tt.pw, err)
		case tt.key != "" && (!errors.As(err, &v) || v.Fields[0].Key != tt.key || v.Fields[0].Field != "password"):
			t.Errorf("%q: %v, want %s", tt.pw, err, tt.key)
		}
	}
}

// FuzzParsePHC: stored hashes are parsed at every login; a corrupted row
// must be refused, never panic nor ask for absurd memory.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.params.Memory > 1<<21 || h.params.Time > 64 || h.params.Threads == 0 || len(h.salt) < 8 || len(h.key) < 16 {
			t.Fatalf("accepted out-of-bounds hash %q: %+v", s, h.params)
		}
		if formatPHC(h) != s {
			t.Fatalf("round trip: %q → %q", s, formatPHC(h))
		}
	})
}

// FuzzNormalizeCode: the code field of the sign-in form.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "aaaaa-bbbbb", "O1IL", "", "é", "12 34 56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeCode(s)
		if len(n) > 33 {
			t.Fatalf("normalized code too long: %d", len(n))
		}
		for _, r := range n {
			if !strings.ContainsRune(crockford, r) {
				t.Fatalf("normalized %q holds %q", s, r)
			}
		}
	})
}

// TestUnmatchableHash: the hash unknown logins verify against has the
// parameters of real hashes (so it costs the same), parses, and matches no
// password — not even the empty one.
func TestUnmatchableHash(t *testing.T) {
	p := Argon2{Memory: 64, Time: 2, Threads: 1}
	h, err := unmatchableHash(p, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := hashPassword("correct horse battery", p, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ph, err := parsePHC(h)
	if err != nil {
		t.Fatalf("parse %s: %v", h, err)
	}
	pr, _ := parsePHC(genuine)
	if ph.params != pr.params || len(ph.salt) != len(pr.salt) || len(ph.key) != len(pr.key) {
		t.Fatalf("dummy %s, real %s: want the same parameters and lengths", h, genuine)
	}
	for _, pw := range []string{"", "correct horse battery", "dummy password for unknown logins"} {
		ok, _, err := verifyPassword(h, pw, p)
		if err != nil || ok {
			t.Fatalf("verify %q against the dummy: %v, %v: want false, nil", pw, ok, err)
		}
	}
	if _, err := unmatchableHash(p, strings.NewReader("short")); err == nil {
		t.Fatal("no randomness: want an error")
	}
}
