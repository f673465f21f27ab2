package ledger

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"sync"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// buckets (AWS and S3-compatible stores)
	"gocloud.dev/gcerrors"

	"github.com/guichet/guichet"
)

// BlobPrefix is the key prefix OpenBlobStore puts the log's objects
// under, so that a bucket served as static files answers the log's read
// API at the same paths as guichet: /log/checkpoint, /log/tile/….
const BlobPrefix = "log/"

// maxObject bounds one object Get reads: a full entry bundle of the
// largest entries, like a verifier's fetch.
const maxObject = maxFetch

// BlobStore is a TileStore in a gocloud.dev/blob bucket, for deployments
// whose disks are not durable (containers) or that serve the log's tiles
// from object storage. Put writes each object with one PutObject, which S3
// acknowledges only once the object is stored durably and which replaces
// an object atomically; the objects of one Put are written concurrently.
// A BlobStore is safe for concurrent use.
//
// A BlobStore MUST NOT be given a bucket whose driver does not make writes
// durable before they return, such as file:// (gocloud's fileblob renames
// into place without fsync): OpenBlobStore refuses it, and DirStore is
// the durable local choice.
type BlobStore struct {
	b      *blob.Bucket
	prefix string
}

var _ TileStore = (*BlobStore)(nil)

// blobPutParallel bounds the PutObject requests one Put has in flight.
const blobPutParallel = 8

// NewBlobStore returns a BlobStore keeping object p under the key
// prefix+p in b. It does not take ownership of b: closing the bucket is
// the caller's job.
func NewBlobStore(b *blob.Bucket, prefix string) *BlobStore {
	return &BlobStore{b: b, prefix: prefix}
}

// OpenBlobStore opens the bucket at rawURL and returns a BlobStore with
// the objects under BlobPrefix, and a function closing the bucket. Only
// s3:// is accepted (see gocloud.dev/blob/s3blob for its parameters:
// region, endpoint, use_path_style, prefix…); credentials come from the
// standard AWS chain, never from the URL.
func OpenBlobStore(ctx context.Context, rawURL string) (*BlobStore, func() error, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: log bucket: bad URL: %w", guichet.ErrInvalid)
	}
	switch u.Scheme {
	case "s3":
	case "file":
		return nil, nil, fmt.Errorf("ledger: log bucket %s: file:// is not durable (gocloud's file driver does not fsync), use the default directory store under the data directory instead: %w", redactURL(u), guichet.ErrInvalid)
	default:
		return nil, nil, fmt.Errorf("ledger: log bucket %s: want s3://bucket?region=…: %w", redactURL(u), guichet.ErrInvalid)
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: log bucket %s: %w", redactURL(u), err)
	}
	return NewBlobStore(b, BlobPrefix), b.Close, nil
}

// redactURL drops the query and user info from a URL for error messages.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}

func (s *BlobStore) key(p string) (string, error) {
	if p == "." || !fs.ValidPath(p) {
		return "", fmt.Errorf("ledger: store path %q: %w", p, guichet.ErrInvalid)
	}
	return s.prefix + p, nil
}

// Get reads one object.
func (s *BlobStore) Get(ctx context.Context, p string) ([]byte, error) {
	k, err := s.key(p)
	if err != nil {
		return nil, err
	}
	r, err := s.b.NewReader(ctx, k, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("ledger: %s: %w", p, guichet.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", p, err)
	}
	defer r.Close()
	if r.Size() > maxObject {
		return nil, fmt.Errorf("ledger: read %s: %d bytes exceeds %d", p, r.Size(), maxObject)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxObject+1))
	if err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", p, err)
	}
	if len(data) > maxObject {
		return nil, fmt.Errorf("ledger: read %s: object grew beyond %d bytes", p, maxObject)
	}
	return data, nil
}

// Put writes objects, each durably and atomically, and returns once all
// are written or the first failure; after a failure some objects may
// have been written, which the log tolerates (it rewrites tiles beyond
// its checkpoint).
func (s *BlobStore) Put(ctx context.Context, objs []Object) error {
	keys := make([]string, len(objs))
	for i, o := range objs {
		k, err := s.key(o.Path)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		sem   = make(chan struct{}, blobPutParallel)
	)
	for i, o := range objs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			// Tiles and bundles are binary; the checkpoint is a signed note.
			ct := "application/octet-stream"
			if o.Path == CheckpointPath {
				ct = "text/plain; charset=utf-8"
			}
			if err := s.b.WriteAll(ctx, keys[i], o.Data, &blob.WriterOptions{ContentType: ct}); err != nil {
				once.Do(func() { first = fmt.Errorf("ledger: write %s: %w", o.Path, err); cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
