package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/guichet/guichet/internal/ledger"
)

const logKeyUsage = `Usage: guichet admin log-key [--data DIR | --log-key FILE] [--public-url URL] [--generate NEWFILE]

Prints the verifier key of the transparency log, in the signed-note format
("<origin>+<key id>+<base64>") that 'guichet verify --key' and witnesses
take. Publish it where citizens and auditors can find it from a source
they trust (not only /log/key of the same server).

The signing key is found as 'guichet serve' finds it: the GUICHET_LOG_KEY
environment variable, else the file given with --log-key, else
DIR/ledger.key. Unlike serve, this command never creates the log's key: it
fails when there is none, so a mistyped --data cannot mint a new log.

With --public-url (or GUICHET_PUBLIC_URL) it also checks that the key is
named for the log's origin ("<host>/log"), which serve requires.

With --generate NEWFILE it writes a new signing key for the same origin to
NEWFILE (mode 0600, never overwriting) and prints the new verifier key: the
first step of a key rotation (see docs/ledger.md). Serve signs with both
keys while GUICHET_LOG_EXTRA_KEY holds the new one.

Flags:
`

// runAdminLogKey prints the log's verifier key on stdout, one line.
func runAdminLogKey(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := newFlagSet("admin log-key", "", stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, logKeyUsage)
		flags.PrintDefaults()
	}
	dataDir := flags.String("data", getenv("GUICHET_DATA"), "data `directory` of the instance (GUICHET_DATA)")
	keyFile := flags.String("log-key", "", "`file` holding the log's signing key, instead of DIR/ledger.key")
	publicURL := flags.String("public-url", getenv("GUICHET_PUBLIC_URL"), "public base `url`; checks the key's origin (GUICHET_PUBLIC_URL)")
	generate := flags.String("generate", "", "write a new signing key for the same origin to `file` (rotation) and print its verifier key")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usageError{"admin log-key takes no arguments"}
	}
	key, err := findLogKey(getenv("GUICHET_LOG_KEY"), *keyFile, *dataDir)
	if err != nil {
		return err
	}
	if *publicURL != "" {
		origin, err := ledger.OriginForURL(*publicURL)
		if err != nil {
			return usageError{err.Error()}
		}
		if key.Name() != origin {
			return fmt.Errorf("admin log-key: the key signs for origin %q but --public-url %s gives %q: serve would refuse to start", key.Name(), *publicURL, origin)
		}
	}
	if *generate != "" {
		if _, err := os.Lstat(*generate); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("admin log-key: %s exists: a key file is never overwritten", *generate)
		}
		if key, err = ledger.LoadOrCreateKey(*generate, key.Name(), rand.Reader); err != nil {
			return fmt.Errorf("admin log-key: %w", err)
		}
	}
	_, err = fmt.Fprintln(stdout, key.VerifierKey())
	return err
}

// findLogKey loads the log's signing key without ever creating one.
func findLogKey(inline, file, dataDir string) (*ledger.Key, error) {
	if inline != "" {
		k, err := ledger.ParseKey(inline)
		if err != nil {
			return nil, fmt.Errorf("GUICHET_LOG_KEY: %w", err)
		}
		return k, nil
	}
	path := file
	if path == "" {
		if dataDir == "" {
			return nil, usageError{"admin log-key: --data (or --log-key, or GUICHET_LOG_KEY) is required"}
		}
		path = filepath.Join(dataDir, "ledger.key")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin log-key: no log signing key at %s (has 'guichet serve' run with this data directory?)", path)
	}
	// The file exists, so LoadOrCreateKey only reads it (and refuses a
	// key file readable by others).
	k, err := ledger.LoadOrCreateKey(path, "", nil)
	if err != nil {
		return nil, fmt.Errorf("admin log-key: %w", err)
	}
	return k, nil
}

// logExtraKeys returns the signing keys that sign every checkpoint besides
// the primary one during a key rotation: GUICHET_LOG_EXTRA_KEY, if set.
func logExtraKeys(getenv func(string) string) []string {
	if k := strings.TrimSpace(getenv("GUICHET_LOG_EXTRA_KEY")); k != "" {
		return []string{k}
	}
	return nil
}
