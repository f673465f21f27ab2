package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	_ "gocloud.dev/blob/s3blob"   // s3:// buckets (AWS and S3-compatible stores)
	"gocloud.dev/gcerrors"

	"github.com/guichet/guichet"
)

// MaxBlobSize is the largest blob Put accepts and Get returns: a file of
// MaxFileSize sealed by the caller, with room for the encryption overhead.
const MaxBlobSize = MaxFileSize + 4096

// Bounds on blob keys. A segment becomes a file name, and the file driver
// appends ".<16 hex digits>.tmp" to it while writing: 200 + 21 stays under
// the usual 255-byte limit on file names.
const (
	maxKeyLen     = 256
	maxSegmentLen = 200
)

// Bucket stores evidence blobs under caller-chosen keys. It stores bytes
// exactly as given and attaches no metadata: no content type, no file
// name. A Bucket is safe for concurrent use.
type Bucket struct {
	b *blob.Bucket
}

// Open opens the blob store at rawURL, for instance file:///var/lib/guichet/evidence
// or s3://bucket?region=eu-west-3.
//
// For s3:// URLs, credentials come from the standard AWS chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared
// files, instance or container roles), never from the URL. Parameters of
// gocloud.dev v0.47 an operator may need: region, profile, endpoint (an
// S3-compatible store such as MinIO, Garage or OVH, e.g.
// endpoint=https://s3.gra.io.cloud.ovh.net), use_path_style=true (bucket
// in the path rather than the host name, which most self-hosted stores
// need), disable_https, ssetype/kmskeyid (server-side encryption, on top
// of ours), prefix (keys under a folder). An unknown parameter is an error.
// Open checks that the bucket answers (a listing, so the credentials need
// s3:ListBucket, which S3 also requires to answer a missing key with 404
// rather than 403).
//
// For file:// URLs, Open sets defaults the caller did not set: the
// directory and its subdirectories are created with mode 0700
// (create_dir, dir_file_mode=0700); writes go to a temporary file beside
// the final one and are renamed into place (no_tmp_dir), so they stay on
// the same file system and a reader never sees half a blob; no ".attrs"
// sidecar is written (metadata=skip); blob files are created 0600.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("evidence: open bucket: bad URL: %w", err)
	}
	if u.Scheme == "file" {
		q := u.Query()
		for k, v := range map[string]string{
			"create_dir":    "1",
			"dir_file_mode": "0700",
			"no_tmp_dir":    "1",
			"metadata":      "skip",
		} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("evidence: open bucket %s: %w", redact(u), err)
	}
	if u.Scheme != "file" {
		// A wrong bucket, endpoint or credential fails the start, not a
		// citizen's upload.
		ok, err := b.IsAccessible(ctx)
		if err == nil && !ok {
			err = errors.New("no such bucket")
		}
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("evidence: open bucket %s: %w", redact(u), err)
		}
	}
	return &Bucket{b: b}, nil
}

// redact drops the query and user info from a URL for error messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}

// Put stores data under key, replacing any blob already there. The blob
// becomes visible whole or not at all. data MUST already be encrypted.
// key MUST be 1 to 256 characters of [A-Za-z0-9._-] in "/"-separated
// segments of at most 200 characters, none empty, "." or "..", and MUST NOT end in ".tmp" or ".attrs"
// (names the file driver keeps for itself).
func (b *Bucket) Put(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("evidence: put: %w", err)
	}
	if len(data) > MaxBlobSize {
		return fmt.Errorf("evidence: put %s: %d bytes: %w", key, len(data), guichet.ErrInvalid)
	}
	opts := &blob.WriterOptions{
		// The data is ciphertext: say so, rather than let the driver sniff.
		ContentType: "application/octet-stream",
		BeforeWrite: func(as func(any) bool) error {
			var f *os.File
			if as(&f) {
				return f.Chmod(0o600)
			}
			return nil
		},
	}
	if err := b.b.WriteAll(ctx, key, data, opts); err != nil {
		return fmt.Errorf("evidence: put %s: %w", key, err)
	}
	return nil
}

// Get returns the blob stored under key, or an error wrapping
// guichet.ErrNotFound if there is none. A blob larger than MaxBlobSize is
// refused unread.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("evidence: get: %w", err)
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("evidence: get %s: %w", key, guichet.ErrNotFound)
		}
		return nil, fmt.Errorf("evidence: get %s: %w", key, err)
	}
	defer r.Close()
	if r.Size() > MaxBlobSize {
		return nil, fmt.Errorf("evidence: get %s: %d bytes exceeds %d", key, r.Size(), MaxBlobSize)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBlobSize+1))
	if err != nil {
		return nil, fmt.Errorf("evidence: get %s: %w", key, err)
	}
	if len(data) > MaxBlobSize {
		return nil, fmt.Errorf("evidence: get %s: blob grew beyond %d bytes", key, MaxBlobSize)
	}
	return data, nil
}

// Delete removes the blob stored under key. Deleting a missing blob is not
// an error, so erasure can be retried.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("evidence: delete: %w", err)
	}
	if err := b.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("evidence: delete %s: %w", key, err)
	}
	return nil
}

// Close releases the bucket. The Bucket MUST NOT be used afterwards.
func (b *Bucket) Close() error {
	if err := b.b.Close(); err != nil {
		return fmt.Errorf("evidence: close bucket: %w", err)
	}
	return nil
}

func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("bad blob key: length %d: %w", len(key), guichet.ErrInvalid)
	}
	if strings.HasSuffix(key, ".tmp") || strings.HasSuffix(key, ".attrs") {
		return fmt.Errorf("bad blob key %q: reserved suffix: %w", key, guichet.ErrInvalid)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > maxSegmentLen {
			return fmt.Errorf("bad blob key %q: empty, dot or long segment: %w", key, guichet.ErrInvalid)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("bad blob key %q: character %q: %w", key, c, guichet.ErrInvalid)
			}
		}
	}
	return nil
}
