package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/vault"
)

// TestAdminMasterKeyRotate rotates the master key of a data directory
// twice, the second time resuming a rotation left half done, and checks
// that what was sealed before still opens and that every data key ends
// under the new key.
func TestAdminMasterKeyRotate(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	env := func(string) string { return "" }
	cfg := config{DataDir: dir, LogFormat: "text"}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, env, newLogger(&bytes.Buffer{}, "text"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := complaint.Form{Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Theft, LastName: "Rotation"}
	code, _, err := a.complaints.StartDraft(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	rotate := func() string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(ctx, []string{"admin", "master-key", "rotate", "--data", dir}, env, nil, &out, &errb); err != nil {
			t.Fatalf("rotate: %v\n%s", err, errb.String())
		}
		return out.String()
	}
	keyIDs := func() []string {
		t.Helper()
		a, err := openApp(ctx, cfg, env, newLogger(&bytes.Buffer{}, "text"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		st, err := a.complaints.Draft(ctx, code)
		if err != nil || st.Form.LastName != "Rotation" {
			t.Fatalf("draft after rotation: %+v, %v", st, err)
		}
		keys, err := a.store.(casework.KeyStore).WrappedKeys(ctx, "draft", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range keys {
			id, _ := vault.KeyID(k.Key)
			ids = append(ids, id)
		}
		return ids
	}

	out := rotate()
	if !strings.Contains(out, "m1 → m2") || !strings.Contains(out, "1 re-wrapped") {
		t.Errorf("first rotation said:\n%s", out)
	}
	if got := keyIDs(); len(got) != 1 || got[0] != "m2" {
		t.Errorf("draft keys after first rotation: %v", got)
	}
	for _, name := range []string{"master.key", "master-m2.key"} {
		if _, err := os.Stat(filepath.Join(dir, "keys", name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keys", "master.current")); strings.TrimSpace(string(b)) != "m2" {
		t.Errorf("master.current = %q", b)
	}

	// A rotation that stopped right after making its key: the server
	// starts (m3 readable, m2 still wrapping), and a re-run resumes it.
	if _, err := vault.LoadOrCreateMasterKey(filepath.Join(dir, "keys", "master-m3.key")); err != nil {
		t.Fatal(err)
	}
	if err := writeKeyID(filepath.Join(dir, "keys", "master.next"), "m3"); err != nil {
		t.Fatal(err)
	}
	if got := keyIDs(); len(got) != 1 || got[0] != "m2" {
		t.Errorf("draft keys with a rotation pending: %v", got)
	}
	out = rotate()
	if !strings.Contains(out, "resuming") || !strings.Contains(out, "m2 → m3") {
		t.Errorf("resumed rotation said:\n%s", out)
	}
	if got := keyIDs(); len(got) != 1 || got[0] != "m3" {
		t.Errorf("draft keys after resumed rotation: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "master.next")); !os.IsNotExist(err) {
		t.Errorf("master.next left behind: %v", err)
	}

	// A key from the environment is rotated where it is kept, not here.
	withEnv := func(k string) string {
		if k == "GUICHET_MASTER_KEY" {
			return strings.Repeat("ab", 32)
		}
		return ""
	}
	if err := run(ctx, []string{"admin", "master-key", "rotate", "--data", dir}, withEnv, nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("rotation with GUICHET_MASTER_KEY set: no error")
	}
}
