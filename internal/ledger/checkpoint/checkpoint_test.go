package checkpoint

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The example of c2sp.org/tlog-checkpoint.
const specExample = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

func TestParseSpecExample(t *testing.T) {
	c, err := Parse([]byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 || len(c.Extensions) != 0 {
		t.Fatalf("parsed %+v", c)
	}
	if got := string(c.Marshal()); got != specExample {
		t.Fatalf("Marshal = %q, want %q", got, specExample)
	}
}

func TestParseRejects(t *testing.T) {
	h := "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
	for name, text := range map[string]string{
		"empty":           "",
		"no final LF":     "o\n1\n" + h,
		"two lines":       "o\n1\n",
		"empty origin":    "\n1\n" + h + "\n",
		"leading zero":    "o\n01\n" + h + "\n",
		"negative":        "o\n-1\n" + h + "\n",
		"plus sign":       "o\n+1\n" + h + "\n",
		"short hash":      "o\n1\nAAAA\n",
		"bad base64":      "o\n1\n!!!!\n",
		"unpadded":        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		"empty extension": "o\n1\n" + h + "\n\n",
		"control char":    "o\x01\n1\n" + h + "\n",
		"not utf8":        "o\xff\n1\n" + h + "\n",
		"overflow":        "o\n99999999999999999999\n" + h + "\n",
	} {
		if _, err := Parse([]byte(text)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse(%q) = %v, want ErrMalformed", name, text, err)
		}
	}
}

func TestParseExtensions(t *testing.T) {
	c := Checkpoint{Origin: "o", Size: 0, Extensions: []string{"a b", "c"}}
	got, err := Parse(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Extensions, "|") != "a b|c" {
		t.Fatalf("extensions %q", got.Extensions)
	}
}

// A real witness key from the public witness network, and a cosignature
// timestamp vector from transparency-dev/formats, pin the key ID and the
// signature layout to other implementations.
func TestKnownCosignatureVectors(t *testing.T) {
	k, err := ParseVerifierKey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
	if err != nil {
		t.Fatal(err)
	}
	if k.Type != TypeCosignatureV1 || k.Name != "remora.n621.de" {
		t.Fatalf("parsed %+v", k)
	}
	ts, err := CosignatureTime("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1727964367, 0).UTC(); !ts.Equal(want) {
		t.Fatalf("time %v, want %v", ts, want)
	}
}

func TestKeyIDMatchesNotePackage(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	name, typ, pub, err := PublicKeyOf(skey)
	if err != nil {
		t.Fatal(err)
	}
	vk2, err := VerifierKey(name, typ, pub)
	if err != nil {
		t.Fatal(err)
	}
	if vk2 != vkey || k.Type != TypeEd25519 {
		t.Fatalf("VerifierKey = %q, note.GenerateKey = %q", vk2, vkey)
	}
}

type fixture struct {
	logSigner note.Signer
	logVKey   string
	w1, w2    *Cosigner
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string) *Cosigner {
		sk, err := GenerateCosignerKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewCosigner(sk, func() time.Time { return time.Unix(1700000000, 0) })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return fixture{logSigner: s, logVKey: vkey, w1: mk("w1.example/w"), w2: mk("w2.example/w")}
}

func (f fixture) sign(t *testing.T, c Checkpoint, signers ...note.Signer) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestPolicyOpen(t *testing.T) {
	f := newFixture(t)
	c := Checkpoint{Origin: "example.org/log", Size: 5, Hash: tlog.RecordHash([]byte("x"))}
	both := f.sign(t, c, f.logSigner, f.w1, f.w2)

	p, err := NewPolicy(f.logVKey, []string{f.w1.VerifierKey(), f.w2.VerifierKey()}, 2)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Open(both)
	if err != nil {
		t.Fatal(err)
	}
	if v.Size != 5 || len(v.Cosigned) != 2 || !v.Cosigned[0].Time.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("verified %+v", v)
	}

	// Other, unknown keys' signatures are ignored.
	other := newFixture(t)
	if _, err := p.Open(f.sign(t, c, f.logSigner, f.w1, f.w2, other.w1, other.logSigner)); err == nil {
		// other.logSigner has the same name but another key ID: ignored.
	} else {
		t.Fatalf("unknown signatures: %v", err)
	}

	cases := []struct {
		name string
		msg  []byte
		pol  Policy
		want error
	}{
		{"too few witnesses", f.sign(t, c, f.logSigner, f.w1), p, ErrTooFewCosignatures},
		{"wrong key", other.sign(t, c, other.logSigner), p, ErrWrongKey},
		{"witness only", f.sign(t, c, f.w1, f.w2), p, ErrWrongKey},
		{"bad signature", bytes.Replace(both, []byte("\n5\n"), []byte("\n6\n"), 1), p, ErrBadSignature},
		{"wrong origin", f.sign(t, Checkpoint{Origin: "evil.example/log", Size: 1}, f.logSigner, f.w1, f.w2), p, ErrUnknownOrigin},
		{"garbage", []byte("hello"), p, ErrMalformed},
	}
	for _, tc := range cases {
		if _, err := tc.pol.Open(tc.msg); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNewPolicyRejects(t *testing.T) {
	f := newFixture(t)
	if _, err := NewPolicy(f.w1.VerifierKey(), nil, 0); !errors.Is(err, ErrBadKey) {
		t.Errorf("witness key as log key: %v", err)
	}
	if _, err := NewPolicy(f.logVKey, []string{f.logVKey}, 1); !errors.Is(err, ErrBadKey) {
		t.Errorf("log key as witness key: %v", err)
	}
	if _, err := NewPolicy(f.logVKey, []string{f.w1.VerifierKey()}, 2); !errors.Is(err, ErrBadKey) {
		t.Errorf("quorum too high: %v", err)
	}
	if _, err := NewPolicy("nope", nil, 0); !errors.Is(err, ErrBadKey) {
		t.Errorf("garbage key: %v", err)
	}
	bad := f.logVKey[:len(f.logVKey)-4] + "AAA="
	if _, err := NewPolicy(bad, nil, 0); !errors.Is(err, ErrBadKey) {
		t.Errorf("key id mismatch: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Marshal(), b) {
			t.Fatalf("Parse/Marshal not canonical: %q -> %q", b, c.Marshal())
		}
	})
}

func FuzzPolicyOpen(f *testing.F) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "example.org/log")
	s, _ := note.NewSigner(skey)
	wk, _ := GenerateCosignerKey(rand.Reader, "w.example")
	w, _ := NewCosigner(wk, nil)
	p, err := NewPolicy(vkey, []string{w.VerifierKey()}, 0)
	if err != nil {
		f.Fatal(err)
	}
	msg, _ := note.Sign(&note.Note{Text: "example.org/log\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, s, w)
	f.Add(msg)
	f.Add([]byte("x\n\n— a AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := p.Open(b)
		if err != nil {
			for _, k := range []error{ErrMalformed, ErrBadSignature, ErrWrongKey, ErrUnknownOrigin, ErrTooFewCosignatures} {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("untyped error %v", err)
		}
		if v.Origin != "example.org/log" {
			t.Fatalf("accepted origin %q", v.Origin)
		}
	})
}
