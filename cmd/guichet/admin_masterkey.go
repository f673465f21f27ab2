package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/guichet/guichet/internal/atomicfile"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/vault"
)

const masterKeyUsage = `Usage: guichet admin master-key rotate [--data DIR] [--database URL]

Generates a new master key and re-wraps under it every data key the
database keeps (drafts, cases' personal parts — which also seal their
evidence and notes — and agents' TOTP secrets). Contents are not
re-encrypted. The old key is kept, retired: it still unwraps, never wraps.

Keys live in DIR/keys: master.key is the first key ("m1"), rotations add
master-m2.key, master-m3.key…; master.current names the current one. While
a rotation runs, master.next names its new key, which 'serve' already
accepts for reading: a rotation stopped midway (crash, Ctrl-C) is resumed
by running the command again. Running servers keep wrapping new keys under
the old master key until restarted (those stay readable: the old key is
retired, not deleted; a later rotation re-wraps them). Delete a retired
key file only once a rotation has run after every server restarted.

Not available when the key comes from GUICHET_MASTER_KEY.

Flags:
`

// keyring file names in DIR/keys.
const (
	masterFirstID = "m1"
	masterCurrent = "master.current"
	masterNext    = "master.next"
)

var masterIDPattern = regexp.MustCompile(`^m[0-9]+$`)

func masterKeyPath(dir, id string) string {
	if id == masterFirstID {
		return filepath.Join(dir, "keys", "master.key")
	}
	return filepath.Join(dir, "keys", "master-"+id+".key")
}

// readKeyID reads a key ID file; "" when it does not exist.
func readKeyID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("master key: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if !masterIDPattern.MatchString(id) {
		return "", fmt.Errorf("master key: %s holds %q, not a key ID", path, id)
	}
	return id, nil
}

// writeKeyID replaces a key ID file atomically and durably.
func writeKeyID(path, id string) error {
	return atomicfile.Write(path, []byte(id+"\n"), 0o600)
}

// keyring lists the master key IDs present in dir/keys, by number.
func keyring(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "keys", "master*.key"))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, n := range names {
		base := filepath.Base(n)
		switch {
		case base == "master.key":
			ids = append(ids, masterFirstID)
		case strings.HasPrefix(base, "master-"):
			id := strings.TrimSuffix(strings.TrimPrefix(base, "master-"), ".key")
			if masterIDPattern.MatchString(id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return keyNumber(ids[i]) < keyNumber(ids[j]) })
	return ids, nil
}

func keyNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "m"))
	return n
}

// openVault builds the vault of the instance: the master key from
// GUICHET_MASTER_KEY (ID m1), else the keyring of the data directory — the
// current key (master.current, default m1, created on first start) wraps,
// every other key file (retired ones, and the new key of a rotation under
// way) only unwraps.
func openVault(getenv func(string) string, dataDir string) (*vault.Vault, error) {
	if getenv("GUICHET_MASTER_KEY") != "" {
		k, err := loadKey(getenv, "GUICHET_MASTER_KEY", dataDir, "master")
		if err != nil {
			return nil, err
		}
		return vault.New(k, masterFirstID, rand.Reader)
	}
	current, err := readKeyID(filepath.Join(dataDir, "keys", masterCurrent))
	if err != nil {
		return nil, err
	}
	if current == "" {
		current = masterFirstID
	}
	return vaultWith(dataDir, current)
}

// vaultWith opens the keyring with current as the wrapping key.
func vaultWith(dataDir, current string) (*vault.Vault, error) {
	key, err := vault.LoadOrCreateMasterKey(masterKeyPath(dataDir, current))
	if err != nil {
		return nil, err
	}
	v, err := vault.New(key, current, rand.Reader)
	clear(key)
	if err != nil {
		return nil, err
	}
	ids, err := keyring(dataDir)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == current {
			continue
		}
		k, err := vault.LoadOrCreateMasterKey(masterKeyPath(dataDir, id))
		if err != nil {
			return nil, err
		}
		err = v.AddRetired(k, id)
		clear(k)
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

func runAdminMasterKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(stderr, masterKeyUsage)
		return usageError{"admin master-key: the only task is 'rotate'"}
	}
	var cfg config
	flags := newFlagSet("admin master-key rotate", "", stderr)
	flags.Usage = func() { fmt.Fprint(stderr, masterKeyUsage); flags.PrintDefaults() }
	cfg.flags(flags, getenv, "", "")
	batch := flags.Int("batch", 500, "data keys re-wrapped per transaction")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if getenv("GUICHET_MASTER_KEY") != "" {
		return errors.New("admin master-key rotate: the master key comes from GUICHET_MASTER_KEY; rotate it where it is kept")
	}
	st, closeStore, err := openStore(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer closeStore()
	ks, ok := st.(casework.KeyStore)
	if !ok {
		return errors.New("admin master-key rotate: this store cannot list its wrapped keys")
	}
	return rotateMasterKey(ctx, ks, cfg.DataDir, *batch, stdout)
}

// rotateMasterKey runs (or resumes) a rotation of the data directory's
// master key over ks.
func rotateMasterKey(ctx context.Context, ks casework.KeyStore, dataDir string, batch int, stdout io.Writer) error {
	keysDir := filepath.Join(dataDir, "keys")
	old, err := readKeyID(filepath.Join(keysDir, masterCurrent))
	if err != nil {
		return err
	}
	if old == "" {
		old = masterFirstID
	}
	if _, err := os.Stat(masterKeyPath(dataDir, old)); err != nil {
		return fmt.Errorf("admin master-key rotate: current key %s: %w", old, err)
	}
	next, err := readKeyID(filepath.Join(keysDir, masterNext))
	if err != nil {
		return err
	}
	if next == "" {
		ids, err := keyring(dataDir)
		if err != nil {
			return err
		}
		next = "m" + strconv.Itoa(keyNumber(ids[len(ids)-1])+1)
		// The new key file first, then the marker: a crash in between
		// leaves an unused key file, loaded as retired and skipped by the
		// next run, which makes a key numbered after it.
		if _, err := vault.LoadOrCreateMasterKey(masterKeyPath(dataDir, next)); err != nil {
			return err
		}
		if err := writeKeyID(filepath.Join(keysDir, masterNext), next); err != nil {
			return fmt.Errorf("admin master-key rotate: %w", err)
		}
		fmt.Fprintf(stdout, "master key: new key %s in %s\n", next, masterKeyPath(dataDir, next))
	} else {
		fmt.Fprintf(stdout, "master key: resuming the rotation to %s\n", next)
	}
	v, err := vaultWith(dataDir, next)
	if err != nil {
		return err
	}
	var counts []casework.RewrapCount
	for pass := 0; ; pass++ {
		counts, err = casework.RewrapAll(ctx, ks, v, next, batch)
		if err != nil {
			return fmt.Errorf("admin master-key rotate (run it again to resume): %w", err)
		}
		changed := 0
		for _, c := range counts {
			changed += c.Changed
		}
		if changed == 0 {
			break
		}
		if pass == 2 {
			return fmt.Errorf("admin master-key rotate: %d keys changed during the rotation; run it again", changed)
		}
	}
	total := 0
	for _, c := range counts {
		fmt.Fprintf(stdout, "  %-15s %6d keys: %d re-wrapped, %d already under %s\n", c.Kind, c.Seen, c.Rewrapped, c.Current, next)
		total += c.Rewrapped
	}
	if err := writeKeyID(filepath.Join(keysDir, masterCurrent), next); err != nil {
		return fmt.Errorf("admin master-key rotate: %w", err)
	}
	if err := os.Remove(filepath.Join(keysDir, masterNext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("admin master-key rotate: %w", err)
	}
	fmt.Fprintf(stdout, "master key: rotated %s → %s, %d data keys re-wrapped; %s kept as a retired key in %s.\n"+
		"Restart running servers so that they wrap under %s; keys they wrapped meanwhile under %s stay readable.\n",
		old, next, total, old, masterKeyPath(dataDir, old), next, old)
	return nil
}
