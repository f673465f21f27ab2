package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/evidence/s3fake"
)

// tileStores are the TileStore implementations the contract is checked
// on: DirStore in a fresh directory, BlobStore on an in-process S3 server.
func tileStores() []struct {
	name string
	open func(t *testing.T) TileStore
} {
	return []struct {
		name string
		open func(t *testing.T) TileStore
	}{
		{"dir", func(t *testing.T) TileStore {
			s, err := NewDirStore(t.TempDir() + "/log")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"blob", func(t *testing.T) TileStore { return openS3Store(t) }},
	}
}

// openS3Store opens a BlobStore the way guichet serve --log-blob does, on
// a fresh bucket of a fake S3 server.
func openS3Store(t *testing.T) *BlobStore {
	t.Helper()
	s, closeBucket, err := OpenBlobStore(t.Context(), s3fake.Start(t).Bucket(t, "transparency"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeBucket(); err != nil {
			t.Errorf("close bucket: %v", err)
		}
	})
	return s
}

// TestTileStoreContract checks the TileStore contract: missing paths are
// ErrNotFound, objects read back as written, a Put replaces, paths outside
// the store are refused, and concurrent readers see whole objects only.
func TestTileStoreContract(t *testing.T) {
	for _, impl := range tileStores() {
		t.Run(impl.name, func(t *testing.T) {
			ctx := t.Context()
			s := impl.open(t)
			if _, err := s.Get(ctx, CheckpointPath); !errors.Is(err, guichet.ErrNotFound) {
				t.Fatalf("Get(missing checkpoint) = %v, want ErrNotFound", err)
			}
			objs := []Object{
				{"tile/0/000", bytes.Repeat([]byte{1}, TileWidth*tlog.HashSize)},
				{"tile/0/001.p/5", bytes.Repeat([]byte{2}, 5*tlog.HashSize)},
				{"tile/entries/x001/234.p/7", []byte("bundle\x00\xff")},
				{"tile/1/000.p/1", []byte{}},
			}
			if err := s.Put(ctx, objs); err != nil {
				t.Fatalf("Put: %v", err)
			}
			for _, o := range objs {
				if got, err := s.Get(ctx, o.Path); err != nil || !bytes.Equal(got, o.Data) {
					t.Errorf("Get(%s) = %q, %v; want %q", o.Path, got, err, o.Data)
				}
			}
			// Replace one object, the others stay.
			if err := s.Put(ctx, []Object{{"tile/0/001.p/5", []byte("new")}}); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Get(ctx, "tile/0/001.p/5"); string(got) != "new" {
				t.Errorf("after replace = %q", got)
			}
			if got, _ := s.Get(ctx, "tile/0/000"); !bytes.Equal(got, objs[0].Data) {
				t.Errorf("a Put changed another object")
			}
			for _, p := range []string{"", "/abs", "../escape", "tile/../../escape"} {
				if _, err := s.Get(ctx, p); !errors.Is(err, guichet.ErrInvalid) {
					t.Errorf("Get(%q) = %v, want ErrInvalid", p, err)
				}
				if err := s.Put(ctx, []Object{{p, []byte("x")}}); !errors.Is(err, guichet.ErrInvalid) {
					t.Errorf("Put(%q) = %v, want ErrInvalid", p, err)
				}
			}
			// An empty Put is fine.
			if err := s.Put(ctx, nil); err != nil {
				t.Errorf("Put(nil) = %v", err)
			}
		})
	}
}

// TestTileStoreConcurrentReplace: while writers replace the checkpoint,
// readers see one of the versions written, whole.
func TestTileStoreConcurrentReplace(t *testing.T) {
	for _, impl := range tileStores() {
		t.Run(impl.name, func(t *testing.T) {
			ctx := t.Context()
			s := impl.open(t)
			version := func(i int) []byte {
				return []byte(fmt.Sprintf("checkpoint %d\n%s", i, strings.Repeat(fmt.Sprint(i%10), 4000)))
			}
			if err := s.Put(ctx, []Object{{CheckpointPath, version(0)}}); err != nil {
				t.Fatal(err)
			}
			valid := map[string]bool{string(version(0)): true}
			for i := 1; i <= 40; i++ {
				valid[string(version(i))] = true
			}
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := 1 + w; i <= 40; i += 4 {
						if err := s.Put(ctx, []Object{{CheckpointPath, version(i)}, {fmt.Sprintf("tile/0/%03d", i), version(i)}}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			for range 4 {
				wg.Go(func() {
					for range 40 {
						got, err := s.Get(ctx, CheckpointPath)
						if err != nil || !valid[string(got)] {
							t.Errorf("concurrent Get = %.20q… (%d bytes), %v: not a version written whole", got, len(got), err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestBlobStoreLayout: objects live under BlobPrefix, at the paths of
// c2sp.org/tlog-tiles, so the bucket can be served as the log's files.
func TestBlobStoreLayout(t *testing.T) {
	ctx := t.Context()
	u := s3fake.Start(t).Bucket(t, "transparency")
	s, closeBucket, err := OpenBlobStore(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer closeBucket()
	if err := s.Put(ctx, []Object{{CheckpointPath, []byte("cp")}, {"tile/0/000", []byte("t")}}); err != nil {
		t.Fatal(err)
	}
	raw, err := blob.OpenBucket(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var keys []string
	it := raw.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		keys = append(keys, obj.Key)
	}
	if strings.Join(keys, ",") != "log/checkpoint,log/tile/0/000" {
		t.Errorf("bucket keys = %v", keys)
	}
	attrs, err := raw.Attributes(ctx, "log/checkpoint")
	if err != nil || !strings.HasPrefix(attrs.ContentType, "text/plain") {
		t.Errorf("checkpoint content type %q, %v", attrs.ContentType, err)
	}
	// A planted oversized object is refused unread.
	if err := raw.WriteAll(ctx, "log/tile/0/001", make([]byte, maxObject+1), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "tile/0/001"); err == nil {
		t.Error("Get returned an oversized object")
	}
}

// A cancelled Put reports the cancellation.
func TestBlobStoreCancelledPut(t *testing.T) {
	s := openS3Store(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, []Object{{"tile/0/000", []byte("x")}, {"tile/0/001", []byte("y")}}); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
}

func TestOpenBlobStoreRefuses(t *testing.T) {
	for u, want := range map[string]string{
		"file:///var/lib/guichet/log": "not durable",
		"mem://":                      "want s3://",
		"gs://bucket":                 "want s3://",
		"s3://b?region=x&bogus=1":     "bogus",
	} {
		_, _, err := OpenBlobStore(t.Context(), u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenBlobStore(%q) = %v, want an error saying %q", u, err, want)
		}
	}
}

// The log runs on a BlobStore: it appends, reopens from the bucket alone
// (a fresh data directory, as a new container would) and its proofs
// verify.
func TestLogOnBlobStore(t *testing.T) {
	s, skey, ob := openS3Store(t), testKey(t), &memOutbox{}
	l := openTest(t, t.TempDir(), skey, ob, func(c *Config) { c.Store = s })
	leaves := testLeaves(0, 300)
	ob.add(leaves...)
	drain(t, l)
	checkLogHolds(t, l, leaves)
	l.Close()

	l2 := openTest(t, t.TempDir(), skey, ob, func(c *Config) { c.Store = s })
	if l2.Size() != 300 || !bytes.Equal(l2.Checkpoint(), l.Checkpoint()) {
		t.Fatalf("reopened from the bucket at size %d", l2.Size())
	}
	more := testLeaves(300, 20)
	ob.add(more...)
	drain(t, l2)
	checkLogHolds(t, l2, append(leaves, more...))
	v := openCheckpoint(t, l2)
	p, err := l2.InclusionProof(t.Context(), 257, v.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, v.Size, v.Hash, 257, tlog.RecordHash(leaves[257])); err != nil {
		t.Fatalf("inclusion proof from the bucket: %v", err)
	}
}
