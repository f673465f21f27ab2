package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

func TestAdminLogKey(t *testing.T) {
	dir := t.TempDir()
	l, err := ledger.Open(t.Context(), ledger.Config{DataDir: dir, PublicURL: "https://plainte.example.fr"})
	if err != nil {
		t.Fatal(err)
	}
	want, note := l.VerifierKey(), l.Checkpoint()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	otherKey, err := ledger.GenerateKey(rand.Reader, "autre.example.fr/log")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ledger.ParseKey(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "log.key")
	if err := os.WriteFile(keyFile, []byte(otherKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "loose.key")
	if err := os.WriteFile(loose, []byte(otherKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // stdout, trimmed
		wantErr string // in the error
	}{
		{name: "data directory", args: []string{"--data", dir}, want: want},
		{name: "data directory from the environment", env: map[string]string{"GUICHET_DATA": dir}, want: want},
		{name: "matching public URL", args: []string{"--data", dir, "--public-url", "https://plainte.example.fr/"}, want: want},
		{name: "key in the environment wins, as in serve", args: []string{"--data", dir}, env: map[string]string{"GUICHET_LOG_KEY": otherKey}, want: other.VerifierKey()},
		{name: "key file", args: []string{"--log-key", keyFile}, want: other.VerifierKey()},
		{name: "origin mismatch", args: []string{"--data", dir, "--public-url", "https://autre.example.fr"}, wantErr: `signs for origin "plainte.example.fr/log"`},
		{name: "no key is not created", args: []string{"--data", empty}, wantErr: "no log signing key"},
		{name: "nothing given", wantErr: "--data"},
		{name: "key file readable by others", args: []string{"--log-key", loose}, wantErr: "chmod 600"},
		{name: "bad key in the environment", env: map[string]string{"GUICHET_LOG_KEY": "nope"}, wantErr: "GUICHET_LOG_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			err := run(t.Context(), append([]string{"admin", "log-key"}, tc.args...), getenv, nil, &stdout, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				if stdout.Len() != 0 {
					t.Errorf("printed %q on failure", stdout.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if got := strings.TrimSpace(stdout.String()); got != tc.want {
				t.Fatalf("printed %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, "ledger.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin log-key created a key in an empty directory: %v", err)
	}

	// What it prints verifies the log's checkpoints.
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"admin", "log-key", "--data", dir}, func(string) string { return "" }, nil, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	p, err := checkpoint.NewPolicy(strings.TrimSpace(stdout.String()), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Open(note); err != nil {
		t.Errorf("the printed key does not verify the log's checkpoint: %v", err)
	}
}

// TestAdminLogKeyGenerate: the first step of a rotation writes a new key
// for the same origin, never over an existing file, and a log opened with
// both keys (as serve does with GUICHET_LOG_EXTRA_KEY) signs with both.
func TestAdminLogKeyGenerate(t *testing.T) {
	dir := t.TempDir()
	l, err := ledger.Open(t.Context(), ledger.Config{DataDir: dir, PublicURL: "https://plainte.example.fr"})
	if err != nil {
		t.Fatal(err)
	}
	old := l.VerifierKey()
	l.Close()
	next := filepath.Join(t.TempDir(), "next.key")
	noenv := func(string) string { return "" }
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"admin", "log-key", "--data", dir, "--generate", next}, noenv, nil, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(stdout.String())
	if vkey == old || !strings.HasPrefix(vkey, "plainte.example.fr/log+") {
		t.Fatalf("new verifier key %q (old %q)", vkey, old)
	}
	st, err := os.Stat(next)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", st, err)
	}
	if err := run(t.Context(), []string{"admin", "log-key", "--data", dir, "--generate", next}, noenv, nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Fatalf("overwriting a key file: %v", err)
	}
	b, err := os.ReadFile(next)
	if err != nil {
		t.Fatal(err)
	}
	l, err = ledger.Open(t.Context(), ledger.Config{DataDir: dir, PublicURL: "https://plainte.example.fr", ExtraKeys: []string{strings.TrimSpace(string(b))}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.VerifierKeys(); len(got) != 2 || got[0] != old || got[1] != vkey {
		t.Fatalf("keys %v", got)
	}
}

func TestAdminLogKeyHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"admin", "log-key", "--help"}, func(string) string { return "" }, nil, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, s := range []string{"guichet admin log-key", "GUICHET_LOG_KEY", "-data", "-log-key", "-public-url", "-generate", "never creates the log's key"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("help does not mention %q:\n%s", s, stderr.String())
		}
	}
	stdout.Reset()
	if err := run(t.Context(), []string{"admin", "--help"}, func(string) string { return "" }, nil, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "log-key") {
		t.Errorf("admin --help does not list log-key: %v\n%s", err, stdout.String())
	}
}
