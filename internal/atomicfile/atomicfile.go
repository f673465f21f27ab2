// Package atomicfile replaces files so that a crash leaves either the old
// content or the new one, whole, and never loses a replacement that was
// reported done.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces name with data, mode perm: the data goes to a temporary
// file beside name, which is synced and renamed over name; then the
// directory is synced, so the new name survives a crash once Write
// returns nil.
func Write(name string, data []byte, perm fs.FileMode) error {
	if err := Replace(name, data, perm); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(name))
}

// Replace is Write without the final sync of the directory, for callers
// that replace many files of one directory and sync it once (SyncDir):
// until then the new names MAY be lost in a crash, the data never torn.
func Replace(name string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// SyncDir syncs a directory, making the names created or renamed in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
