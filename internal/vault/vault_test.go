package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/guichet/guichet/internal/casefile"
)

func key(t testing.TB, b byte) []byte {
	t.Helper()
	return bytes.Repeat([]byte{b}, KeySize)
}

func newVault(t testing.TB, master []byte, id string) *Vault {
	t.Helper()
	v, err := New(master, id, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

var secret = []byte("Jeanne Dupont, née le 3 avril 1981, 12 rue des Lilas, 69003 Lyon — vol de vélo")

func TestRoundTrip(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	aad := []byte("case/0190a1b2-0000-7000-8000-000000000001/personal")
	for _, pt := range [][]byte{secret, {}, bytes.Repeat([]byte{0}, 1<<16)} {
		s, err := v.Seal(pt, aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		got, err := v.Open(s, aad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, want %q", got, pt)
		}
		if got == nil {
			t.Fatal("Open returned nil for an empty plaintext; want empty slice")
		}
	}
}

func TestSealWithSharesKeyFreshNonce(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	aad := []byte("draft/1")
	first, err := v.Seal(secret, aad)
	if err != nil {
		t.Fatal(err)
	}
	evidence := []byte("%PDF-1.7 facture")
	second, err := v.SealWith(first.WrappedKey, evidence, []byte("evidence/9"))
	if err != nil {
		t.Fatalf("SealWith: %v", err)
	}
	if !bytes.Equal(second.WrappedKey, first.WrappedKey) {
		t.Error("SealWith changed the wrapped key")
	}
	got, err := v.Open(second, []byte("evidence/9"))
	if err != nil || !bytes.Equal(got, evidence) {
		t.Fatalf("Open(SealWith) = %q, %v", got, err)
	}
	// Same key, same plaintext, same aad: ciphertexts must still differ.
	a, _ := v.SealWith(first.WrappedKey, secret, aad)
	b, _ := v.SealWith(first.WrappedKey, secret, aad)
	if bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Error("two seals under one data key produced identical ciphertexts (nonce reuse)")
	}
	// Mutating the caller's slice must not corrupt the returned one.
	wk := bytes.Clone(first.WrappedKey)
	s, _ := v.SealWith(wk, secret, aad)
	wk[len(wk)-1] ^= 1
	if _, err := v.Open(s, aad); err != nil {
		t.Errorf("SealWith aliases the caller's wrapped key: %v", err)
	}
}

func TestFreshDataKeyPerSeal(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	a, _ := v.Seal(secret, nil)
	b, _ := v.Seal(secret, nil)
	if bytes.Equal(a.WrappedKey, b.WrappedKey) || bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Fatal("two Seal calls share a wrapped key or ciphertext")
	}
	// a's key must not open b's ciphertext.
	if _, err := v.Open(casefile.Sealed{WrappedKey: a.WrappedKey, Ciphertext: b.Ciphertext}, nil); !errors.Is(err, ErrTampered) {
		t.Fatalf("mixed sealed: err = %v, want ErrTampered", err)
	}
}

func TestTamperDetection(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	aad := []byte("case/A")
	s, err := v.Seal(secret, aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	// Every single-bit flip, anywhere, is detected.
	for i := range s.Ciphertext {
		_, err := v.Open(casefile.Sealed{WrappedKey: s.WrappedKey, Ciphertext: flip(s.Ciphertext, i)}, aad)
		if err == nil {
			t.Fatalf("ciphertext byte %d flipped: opened", i)
		}
		want := ErrTampered
		if i == 0 {
			want = ErrMalformed // version byte
		}
		if !errors.Is(err, want) {
			t.Fatalf("ciphertext byte %d flipped: err = %v, want %v", i, err, want)
		}
	}
	for i := range s.WrappedKey {
		_, err := v.Open(casefile.Sealed{WrappedKey: flip(s.WrappedKey, i), Ciphertext: s.Ciphertext}, aad)
		if err == nil {
			t.Fatalf("wrapped key byte %d flipped: opened", i)
		}
		if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrMalformed) &&
			!errors.Is(err, ErrUnknownMasterKey) && !errors.Is(err, ErrWrongMasterKey) {
			t.Fatalf("wrapped key byte %d flipped: unexpected error %v", i, err)
		}
	}
	for i := range aad {
		if _, err := v.Open(s, flip(aad, i)); !errors.Is(err, ErrTampered) {
			t.Fatalf("aad byte %d flipped: err = %v, want ErrTampered", i, err)
		}
	}
	if _, err := v.Open(s, nil); !errors.Is(err, ErrTampered) {
		t.Fatalf("aad dropped: err = %v, want ErrTampered", err)
	}
	// Truncation.
	for _, n := range []int{0, 1, 12, 28, len(s.Ciphertext) - 1} {
		_, err := v.Open(casefile.Sealed{WrappedKey: s.WrappedKey, Ciphertext: s.Ciphertext[:n]}, aad)
		if err == nil {
			t.Fatalf("ciphertext truncated to %d: opened", n)
		}
	}
	for _, n := range []int{0, 1, 2, len(s.WrappedKey) - 1} {
		_, err := v.Open(casefile.Sealed{WrappedKey: s.WrappedKey[:n], Ciphertext: s.Ciphertext}, aad)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("wrapped key truncated to %d: err = %v, want ErrMalformed", n, err)
		}
	}
}

func TestCrossOwnerSwapFails(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	a, _ := v.Seal([]byte("personal part of case A"), []byte("case/A"))
	b, _ := v.Seal([]byte("personal part of case B"), []byte("case/B"))
	// Whole Sealed moved from A to B.
	if _, err := v.Open(a, []byte("case/B")); !errors.Is(err, ErrTampered) {
		t.Errorf("A's sealed opened as B: err = %v", err)
	}
	// Ciphertexts swapped, keys kept.
	if _, err := v.Open(casefile.Sealed{WrappedKey: b.WrappedKey, Ciphertext: a.Ciphertext}, []byte("case/B")); !errors.Is(err, ErrTampered) {
		t.Errorf("A's ciphertext under B's key: err = %v", err)
	}
	// A ciphertext re-sealed with the owner's key but another owner's aad.
	c, _ := v.SealWith(a.WrappedKey, []byte("x"), []byte("case/B"))
	if _, err := v.Open(c, []byte("case/A")); !errors.Is(err, ErrTampered) {
		t.Errorf("aad of B opened as A: err = %v", err)
	}
}

func TestWrongMasterKeySaysSo(t *testing.T) {
	v1 := newVault(t, key(t, 1), "main")
	s, _ := v1.Seal(secret, nil)

	v2 := newVault(t, key(t, 2), "main") // same ID, other key
	_, err := v2.Open(s, nil)
	if !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("err = %v, want ErrWrongMasterKey", err)
	}
	if !strings.Contains(err.Error(), "wrong master key") || !strings.Contains(err.Error(), `"main"`) {
		t.Errorf("error does not say which key is wrong: %v", err)
	}

	v3 := newVault(t, key(t, 1), "other")
	if _, err := v3.Open(s, nil); !errors.Is(err, ErrUnknownMasterKey) {
		t.Fatalf("err = %v, want ErrUnknownMasterKey", err)
	}
	if _, err := v2.Rewrap(s.WrappedKey); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Rewrap: err = %v, want ErrWrongMasterKey", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := key(t, 1), key(t, 2)
	old := newVault(t, oldKey, "2026-01")
	aad := []byte("case/A")
	s, _ := old.Seal(secret, aad)

	v := newVault(t, newKey, "2026-06")
	if err := v.AddRetired(oldKey, "2026-01"); err != nil {
		t.Fatal(err)
	}
	if err := v.AddRetired(oldKey, "2026-06"); err == nil {
		t.Fatal("AddRetired shadowed the current key ID")
	}
	// Retired keys still open.
	if got, err := v.Open(s, aad); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open under retired key = %q, %v", got, err)
	}
	// New seals use the current key only.
	if n, _ := v.Seal(secret, aad); mustKeyID(t, n.WrappedKey) != "2026-06" {
		t.Fatal("Seal did not use the current key")
	}
	if id := mustKeyID(t, s.WrappedKey); id != "2026-01" {
		t.Fatalf("KeyID = %q", id)
	}
	rw, err := v.Rewrap(s.WrappedKey)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	if id := mustKeyID(t, rw); id != "2026-06" {
		t.Fatalf("Rewrap: KeyID = %q, want current", id)
	}
	// The content was not re-encrypted and still opens with the new wrap,
	// including in a vault that no longer knows the old key.
	fresh := newVault(t, newKey, "2026-06")
	got, err := fresh.Open(casefile.Sealed{WrappedKey: rw, Ciphertext: s.Ciphertext}, aad)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open after rewrap = %q, %v", got, err)
	}
	if _, err := fresh.Open(s, aad); !errors.Is(err, ErrUnknownMasterKey) {
		t.Fatalf("old wrap without retired key: err = %v", err)
	}
	// Rewrapping a current key is fine and changes the nonce.
	rw2, err := v.Rewrap(rw)
	if err != nil || bytes.Equal(rw2, rw) {
		t.Fatalf("Rewrap(current) = equal:%v, %v", bytes.Equal(rw2, rw), err)
	}
}

func mustKeyID(t *testing.T, w []byte) string {
	t.Helper()
	id, err := KeyID(w)
	if err != nil {
		t.Fatalf("KeyID: %v", err)
	}
	return id
}

func TestCiphertextHoldsNoPlaintext(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	aad := []byte("case/A")
	pt := bytes.Repeat(secret, 20)
	s, _ := v.Seal(pt, aad)
	blob := append(bytes.Clone(s.WrappedKey), s.Ciphertext...)
	for _, needle := range []string{"Jeanne", "Dupont", "Lilas", "69003", "vélo"} {
		if bytes.Contains(blob, []byte(needle)) {
			t.Errorf("sealed data contains %q", needle)
		}
	}
	// No 8-byte window of the plaintext survives anywhere.
	for i := 0; i+8 <= len(secret); i++ {
		if bytes.Contains(blob, secret[i:i+8]) {
			t.Fatalf("sealed data contains plaintext window %q", secret[i:i+8])
		}
	}
	if bytes.Contains(blob, key(t, 1)[:8]) {
		t.Error("sealed data contains master key bytes")
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
		id   string
	}{
		{"short key", make([]byte, 16), "k"},
		{"long key", make([]byte, 33), "k"},
		{"empty id", make([]byte, 32), ""},
		{"space in id", make([]byte, 32), "my key"},
		{"long id", make([]byte, 32), strings.Repeat("k", 65)},
		{"non ascii id", make([]byte, 32), "clé"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.key, tc.id, nil); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

func TestRandomFailure(t *testing.T) {
	v, err := New(key(t, 1), "k1", bytes.NewReader(make([]byte, 40)))
	if err != nil {
		t.Fatal(err)
	}
	// 32 (data key) + 12 (wrap nonce) > 40: the seal must fail, not
	// proceed with a short nonce.
	if _, err := v.Seal(secret, nil); err == nil {
		t.Fatal("Seal succeeded with exhausted randomness")
	}
}

func TestConcurrentUse(t *testing.T) {
	v := newVault(t, key(t, 1), "k1")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			aad := []byte{byte(i)}
			for range 50 {
				s, err := v.Seal(secret, aad)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Open(s, aad); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	if err := v.AddRetired(key(t, 9), "k9"); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets", "nested")
	path := filepath.Join(dir, "master.key")
	k1, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(k1) != KeySize || bytes.Equal(k1, make([]byte, KeySize)) {
		t.Fatalf("created key %d bytes or all zero", len(k1))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file permissions %#o, want 0600", perm)
	}
	dinfo, _ := os.Stat(dir)
	if perm := dinfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory permissions %#o, want 0700", perm)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temp file left behind?)", len(entries))
	}
	k2, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: equal=%v err=%v", bytes.Equal(k1, k2), err)
	}
	if _, err := New(k1, "file", nil); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMasterKeyFormats(t *testing.T) {
	want := make([]byte, KeySize)
	rand.Read(want)
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
		perm    os.FileMode
		ok      bool
	}{
		{"raw", want, 0o600, true},
		{"hex", []byte(hex.EncodeToString(want)), 0o600, true},
		{"hex newline", []byte("  " + hex.EncodeToString(want) + "\r\n"), 0o400, true},
		{"group readable", []byte(hex.EncodeToString(want)), 0o640, true},
		{"world readable", []byte(hex.EncodeToString(want)), 0o644, false},
		{"short", []byte("abcd"), 0o600, false},
		{"empty", nil, 0o600, false},
		{"bad hex", []byte(strings.Repeat("zz", KeySize)), 0o600, false},
		{"raw 31", want[:31], 0o600, false},
		{"huge", bytes.Repeat([]byte("a"), 5000), 0o600, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.perm); err != nil {
				t.Fatal(err)
			}
			got, err := LoadOrCreateMasterKey(path)
			if tc.ok {
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("got %x, %v", got, err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), hex.EncodeToString(want)[:16]) {
				t.Fatal("error leaks key material")
			}
			// A bad file is never replaced by a new key.
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tc.content) {
				t.Fatal("bad key file was overwritten")
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := LoadOrCreateMasterKey(t.TempDir()); err == nil {
			t.Fatal("accepted a directory")
		}
	})
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "master.key")
	const n = 8
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreateMasterKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatal("concurrent creators got different keys")
		}
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	want := make([]byte, KeySize)
	rand.Read(want)
	for _, s := range []string{
		hex.EncodeToString(want),
		strings.ToUpper(hex.EncodeToString(want)),
		" " + hex.EncodeToString(want) + "\n",
		base64.StdEncoding.EncodeToString(want),
		base64.RawStdEncoding.EncodeToString(want),
		base64.URLEncoding.EncodeToString(want),
		base64.RawURLEncoding.EncodeToString(want),
	} {
		got, err := MasterKeyFromEnv(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("MasterKeyFromEnv(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{
		"", "   ", "secret", hex.EncodeToString(want[:16]),
		base64.StdEncoding.EncodeToString(want[:31]),
		hex.EncodeToString(want) + "00",
	} {
		_, err := MasterKeyFromEnv(s)
		if err == nil {
			t.Errorf("MasterKeyFromEnv(%q) accepted", s)
			continue
		}
		if len(s) > 4 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

func BenchmarkSeal4KiB(b *testing.B) {
	v := newVault(b, key(b, 1), "k1")
	pt := make([]byte, 4096)
	aad := []byte("case/0190a1b2-0000-7000-8000-000000000001")
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := v.Seal(pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealWith4KiB(b *testing.B) {
	v := newVault(b, key(b, 1), "k1")
	pt := make([]byte, 4096)
	aad := []byte("case/0190a1b2-0000-7000-8000-000000000001")
	s, _ := v.Seal(pt, aad)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := v.SealWith(s.WrappedKey, pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen4KiB(b *testing.B) {
	v := newVault(b, key(b, 1), "k1")
	pt := make([]byte, 4096)
	aad := []byte("case/0190a1b2-0000-7000-8000-000000000001")
	s, _ := v.Seal(pt, aad)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := v.Open(s, aad); err != nil {
			b.Fatal(err)
		}
	}
}
