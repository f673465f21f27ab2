package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateMasterKey returns the master key kept in the file at path.
//
// An existing file MUST hold either exactly KeySize raw bytes or the key in
// hex (64 digits, surrounding white space ignored), and MUST NOT be
// accessible to others (no permission bits for "other"); anything else is an
// error, never a silently new key.
//
// A missing file is created with a fresh random key written in hex, with
// permissions 0600; missing parent directories are created with 0700. The
// file appears atomically (written aside, then linked into place), so two
// processes starting together end up with the same key.
//
// Errors never contain key material.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := loadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	return loadKeyFile(path)
}

func loadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: master key file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o007 != 0 {
		return nil, fmt.Errorf("vault: master key file %s: permissions %#o let others access it; chmod 600 it", path, perm)
	}
	const limit = 1024 // a key file is tiny; refuse to slurp anything else
	if info.Size() > limit {
		return nil, fmt.Errorf("vault: master key file %s: %d bytes is not a key", path, info.Size())
	}
	b := make([]byte, limit+1)
	n, err := f.ReadAt(b, 0)
	if n == 0 && err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("vault: master key file %s: %w", path, err)
	}
	b = b[:n]
	defer clear(b)
	if len(b) == KeySize {
		return bytes.Clone(b), nil
	}
	s := strings.TrimSpace(string(b))
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("vault: master key file %s: want %d raw bytes or %d hex digits", path, KeySize, 2*KeySize)
}

func createKeyFile(path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	key := make([]byte, KeySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	enc := make([]byte, hex.EncodedLen(KeySize)+1)
	defer clear(enc)
	hex.Encode(enc, key)
	enc[len(enc)-1] = '\n'
	if _, err := tmp.Write(enc); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	// Link, unlike rename, never replaces a key another process just made.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("vault: create master key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable; best effort
		d.Close()
	}
	return nil
}

// MasterKeyFromEnv parses a master key given in an environment variable: 64
// hex digits, or standard or URL-safe base64 (padded or not) of KeySize
// bytes. Surrounding white space is ignored. Errors never echo the value.
func MasterKeyFromEnv(value string) ([]byte, error) {
	s := strings.TrimSpace(value)
	if s == "" {
		return nil, errors.New("vault: master key: empty value")
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("vault: master key: want %d hex digits or base64 of %d bytes (got %d characters)", 2*KeySize, KeySize, len(s))
}
