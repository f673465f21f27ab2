package evidence

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet"
)

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

func openTemp(t *testing.T) (*Bucket, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data", "evidence") // does not exist yet
	b, err := Open(t.Context(), fileURL(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, dir
}

func TestBucketRoundTrip(t *testing.T) {
	ctx := t.Context()
	b, dir := openTemp(t)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("Open did not create the directory: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("bucket directory %#o, want 0700", perm)
	}

	data := []byte("\x01ciphertext\x00\xff")
	key := "evidence/0190a1b2-0000-7000-8000-000000000001"
	if err := b.Put(ctx, key, data); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := b.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Replace.
	if err := b.Put(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Get(ctx, key); string(got) != "v2" {
		t.Fatalf("after replace Get = %q", got)
	}
	// Empty blobs are fine.
	if err := b.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "empty"); err != nil || len(got) != 0 {
		t.Fatalf("Get(empty) = %q, %v", got, err)
	}

	// On disk: only the blobs themselves, private, no sidecars or temp files.
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Errorf("directory %s is %#o, want 0700", rel, perm)
			}
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("blob %s is %#o, want 0600", rel, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, ",") != "empty,"+key {
		t.Errorf("files on disk = %v, want exactly the two keys", files)
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete twice: %v", err)
	}
}

func TestBucketMissing(t *testing.T) {
	ctx := t.Context()
	b, _ := openTemp(t)
	if _, err := b.Get(ctx, "nope"); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("Get(missing) err = %v", err)
	}
	if err := b.Put(ctx, "dir/blob", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "dir"); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("Get(directory) err = %v", err)
	}
	if err := b.Delete(ctx, "never-was"); err != nil {
		t.Fatalf("Delete(missing) = %v", err)
	}
}

func TestBucketKeys(t *testing.T) {
	ctx := t.Context()
	b, _ := openTemp(t)
	for _, key := range []string{
		"", "/abs", "a//b", "a/", "../escape", "a/../../b", "./a", "a/.",
		"x.tmp", "x.attrs", "space here", "semi;colon", "uni\u00e9", "nul\x00",
		"back\\slash", strings.Repeat("k", 201), strings.Repeat("k/", 128) + "k",
	} {
		if err := b.Put(ctx, key, []byte("x")); !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("Put(%q) err = %v, want ErrInvalid", key, err)
		}
		if _, err := b.Get(ctx, key); !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("Get(%q) err = %v, want ErrInvalid", key, err)
		}
		if err := b.Delete(ctx, key); !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("Delete(%q) err = %v, want ErrInvalid", key, err)
		}
	}
	for _, key := range []string{"a", "A-b_c.bin", "cases/2026/0190a1b2.enc", strings.Repeat("k", 200), strings.Repeat("d", 200) + "/" + strings.Repeat("k", 55)} {
		if err := b.Put(ctx, key, []byte("x")); err != nil {
			t.Errorf("Put(%q) = %v", key, err)
		}
	}
}

func TestBucketSizeLimit(t *testing.T) {
	ctx := t.Context()
	b, dir := openTemp(t)
	if err := b.Put(ctx, "big", make([]byte, MaxBlobSize+1)); !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("Put(too big) = %v", err)
	}
	if err := b.Put(ctx, "max", make([]byte, MaxBlobSize)); err != nil {
		t.Fatalf("Put(MaxBlobSize) = %v", err)
	}
	// A blob that grew on disk behind our back is not read into memory.
	if err := os.WriteFile(filepath.Join(dir, "planted"), make([]byte, MaxBlobSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "planted"); err == nil {
		t.Fatal("Get returned an oversized blob")
	}
}

func TestBucketCancelledPutLeavesNothing(t *testing.T) {
	b, dir := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Put(ctx, "k", []byte("x")); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("cancelled Put left %d entries", len(entries))
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, u := range []string{"nosuch://x", "file:///tmp?bogus=1", "::"} {
		if _, err := Open(ctx, u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	// A regular file where the directory should be.
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(ctx, fileURL(f)); err == nil {
		t.Error("Open over a regular file succeeded")
	}
}
