package witness

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

// LoadOrCreateKey returns the witness's cosigner from the key file at
// path, generating a key named name there (mode 0600) if the file does not
// exist. A name given for an existing key MUST match the key's; a key file
// readable by group or others is refused.
func LoadOrCreateKey(path, name string, rand io.Reader, now func() time.Time) (*checkpoint.Cosigner, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if name == "" {
			return nil, fmt.Errorf("witness: no key in %s: give a name (e.g. dpa.example.fr/witness) to create one", path)
		}
		skey, err := checkpoint.GenerateCosignerKey(rand, name)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("witness: key directory: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("witness: create key: %w", err)
		}
		_, werr := f.WriteString(skey + "\n")
		serr := f.Sync()
		if cerr := f.Close(); werr != nil || serr != nil || cerr != nil {
			return nil, fmt.Errorf("witness: write key: %w", errors.Join(werr, serr, cerr))
		}
		return checkpoint.NewCosigner(skey, now)
	}
	if err != nil {
		return nil, fmt.Errorf("witness: read key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("witness: key file %s has mode %v: it MUST be readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	c, err := checkpoint.NewCosigner(strings.TrimSpace(string(b)), now)
	if err != nil {
		return nil, fmt.Errorf("witness: key %s: %w", path, err)
	}
	if name != "" && c.Name() != name {
		return nil, fmt.Errorf("witness: key %s is named %q, not %q", path, c.Name(), name)
	}
	return c, nil
}
