package ledger

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/guichet/guichet/internal/atomicfile"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/note"
)

// Key is a log signing key: an Ed25519 signed-note key whose name is the
// log's origin.
type Key struct {
	signer note.Signer
	vkey   string
}

// GenerateKey returns a new signer key for the log with the given origin,
// in the "PRIVATE+KEY+<origin>+<key id>+<base64>" format of
// golang.org/x/mod/sumdb/note. It MUST be kept secret.
func GenerateKey(rand io.Reader, origin string) (string, error) {
	skey, _, err := note.GenerateKey(rand, origin)
	if err != nil {
		return "", fmt.Errorf("ledger: generate key for %q: %w", origin, err)
	}
	return skey, nil
}

// ParseKey parses a signer key (as made by GenerateKey).
func ParseKey(skey string) (*Key, error) {
	name, typ, pub, err := checkpoint.PublicKeyOf(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	if typ != checkpoint.TypeEd25519 {
		return nil, fmt.Errorf("ledger: signing key: type 0x%02x is not an Ed25519 log key", typ)
	}
	s, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	vkey, err := checkpoint.VerifierKey(name, typ, pub)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	return &Key{signer: s, vkey: vkey}, nil
}

// Name returns the key's name, which is the origin of the log it signs.
func (k *Key) Name() string { return k.signer.Name() }

// VerifierKey returns the public verifier key, in the signed-note vkey
// format ("<origin>+<key id>+<base64>"), which verifiers pass to
// `guichet verify --key`.
func (k *Key) VerifierKey() string { return k.vkey }

// LoadOrCreateKey reads the signer key in file path, or, if the file does
// not exist, generates one for origin and writes it there with mode 0600.
// It refuses a key file readable by group or others.
func LoadOrCreateKey(path, origin string, rand io.Reader) (*Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		skey, err := GenerateKey(rand, origin)
		if err != nil {
			return nil, err
		}
		if err := writeKeyFile(path, skey); err != nil {
			return nil, err
		}
		return ParseKey(skey)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ledger: key file %s has mode %v: it MUST be readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	return ParseKey(string(b))
}

func writeKeyFile(path, skey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("ledger: key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("ledger: create key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("ledger: write key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger: write key: %w", err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("ledger: write key: %w", err)
	}
	return nil
}

// OriginForURL returns the log origin for a public URL: its host (and
// port, and path if any) without scheme, followed by "/log", the prefix
// under which the log is served. "https://plainte.example.fr" gives
// "plainte.example.fr/log".
func OriginForURL(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("ledger: public URL %q has no host", publicURL)
	}
	o := strings.TrimSuffix(u.Host+u.EscapedPath(), "/") + "/log"
	if !checkpoint.ValidKeyName(o) {
		return "", fmt.Errorf("ledger: origin %q is not a valid key name", o)
	}
	return o, nil
}
