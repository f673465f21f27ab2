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

	"gocloud.dev/blob"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/evidence/s3fake"
)

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// driver is one kind of storage the Bucket contract is checked on.
type driver struct {
	name string
	// open returns an open Bucket and a function that stores raw bytes
	// under a key behind the Bucket's back (bypassing its checks).
	open func(t *testing.T) (*Bucket, func(key string, data []byte))
}

// drivers are file:// in a fresh directory and s3:// on an in-process
// S3 server, as an operator of an S3-compatible store would configure it.
func drivers() []driver {
	return []driver{
		{"file", func(t *testing.T) (*Bucket, func(string, []byte)) {
			b, dir := openTemp(t)
			return b, func(key string, data []byte) {
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(key)), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"s3", func(t *testing.T) (*Bucket, func(string, []byte)) {
			u := s3fake.Start(t).Bucket(t, "evidence")
			b := openURL(t, u)
			return b, func(key string, data []byte) {
				raw, err := blob.OpenBucket(t.Context(), u)
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				if err := raw.WriteAll(t.Context(), key, data, nil); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
}

func openURL(t *testing.T, u string) *Bucket {
	t.Helper()
	b, err := Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func openTemp(t *testing.T) (*Bucket, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data", "evidence") // does not exist yet
	return openURL(t, fileURL(dir)), dir
}

// eachDriver runs f on every driver.
func eachDriver(t *testing.T, f func(t *testing.T, b *Bucket, plant func(key string, data []byte))) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			b, plant := d.open(t)
			f(t, b, plant)
		})
	}
}

func TestBucketRoundTrip(t *testing.T) {
	eachDriver(t, func(t *testing.T, b *Bucket, _ func(string, []byte)) {
		ctx := t.Context()
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
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := b.Get(ctx, key); !errors.Is(err, guichet.ErrNotFound) {
			t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete twice: %v", err)
		}
	})
}

// TestBucketFilesOnDisk checks what the file driver leaves on disk: the
// blobs themselves, private, with no sidecars or temporary files.
func TestBucketFilesOnDisk(t *testing.T) {
	ctx := t.Context()
	b, dir := openTemp(t)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("Open did not create the directory: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("bucket directory %#o, want 0700", perm)
	}
	key := "evidence/0190a1b2-0000-7000-8000-000000000001"
	for _, k := range []string{key, "empty"} {
		if err := b.Put(ctx, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Put(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
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
}

func TestBucketMissing(t *testing.T) {
	eachDriver(t, func(t *testing.T, b *Bucket, _ func(string, []byte)) {
		ctx := t.Context()
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
	})
}

func TestBucketKeys(t *testing.T) {
	eachDriver(t, func(t *testing.T, b *Bucket, _ func(string, []byte)) {
		ctx := t.Context()
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
			if err := b.Put(ctx, key, []byte(key)); err != nil {
				t.Errorf("Put(%q) = %v", key, err)
			}
			if got, err := b.Get(ctx, key); err != nil || string(got) != key {
				t.Errorf("Get(%q) = %.20q…, %v", key, got, err)
			}
		}
	})
}

func TestBucketSizeLimit(t *testing.T) {
	eachDriver(t, func(t *testing.T, b *Bucket, plant func(string, []byte)) {
		ctx := t.Context()
		if err := b.Put(ctx, "big", make([]byte, MaxBlobSize+1)); !errors.Is(err, guichet.ErrInvalid) {
			t.Fatalf("Put(too big) = %v", err)
		}
		// The largest blob round-trips whole (on S3, in several parts).
		max := bytes.Repeat([]byte("0123456789abcdef"), MaxBlobSize/16)
		if err := b.Put(ctx, "max", max); err != nil {
			t.Fatalf("Put(MaxBlobSize) = %v", err)
		}
		if got, err := b.Get(ctx, "max"); err != nil || !bytes.Equal(got, max) {
			t.Fatalf("Get(max) = %d bytes, %v", len(got), err)
		}
		// A blob that grew behind our back is not read into memory.
		plant("planted", make([]byte, MaxBlobSize+1))
		if _, err := b.Get(ctx, "planted"); err == nil {
			t.Fatal("Get returned an oversized blob")
		}
	})
}

func TestBucketCancelledPutLeavesNothing(t *testing.T) {
	eachDriver(t, func(t *testing.T, b *Bucket, _ func(string, []byte)) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.Put(ctx, "k", []byte("x")); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := b.Get(t.Context(), "k"); !errors.Is(err, guichet.ErrNotFound) {
			t.Fatalf("Get after a cancelled Put: %v, want ErrNotFound", err)
		}
	})
	// On disk, not even a temporary file.
	b, dir := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = b.Put(ctx, "k", []byte("x"))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("cancelled Put left %d entries", len(entries))
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, u := range []string{"nosuch://x", "file:///tmp?bogus=1", "::", "s3://bucket?region=eu-west-3&bogus=1"} {
		if _, err := Open(ctx, u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	// A bucket that does not exist on a store that does.
	present := s3fake.Start(t).Bucket(t, "present")
	if _, err := Open(ctx, strings.Replace(present, "s3://present", "s3://absent", 1)); err == nil || !strings.Contains(err.Error(), "no such bucket") {
		t.Errorf("Open(missing bucket) = %v", err)
	}
	// A regular file where the directory should be.
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(ctx, fileURL(f)); err == nil {
		t.Error("Open over a regular file succeeded")
	}
}
