package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/atomicfile"
)

// CheckpointPath is the TileStore path of the latest checkpoint.
const CheckpointPath = "checkpoint"

// Object is one file of the log: a path relative to the log prefix
// (CheckpointPath or a TilePath's String) and its bytes.
type Object struct {
	Path string
	Data []byte
}

// TileStore keeps the log's public files — tiles, entry bundles and the
// checkpoint — outside the application database, under the paths of
// c2sp.org/tlog-tiles, so that the directory (or bucket) could be served
// as static files.
//
// Implementations MUST make Put durable before returning nil: after a
// crash, every object of a successful Put reads back whole. Each object
// MUST be replaced atomically (a reader sees the old bytes or the new
// ones, never a mix). Objects of one Put need not appear together.
// Get of a missing path MUST return an error wrapping guichet.ErrNotFound.
// Implementations MUST be safe for concurrent use.
//
// The log never rewrites a tile or bundle covered by a published
// checkpoint (those are immutable); it MAY rewrite ones beyond it, left
// over from an append that crashed before its checkpoint.
type TileStore interface {
	Get(ctx context.Context, path string) ([]byte, error)
	Put(ctx context.Context, objs []Object) error
}

// DirStore is a TileStore in a directory of the local file system. Each
// object is written to a temporary file, fsynced, renamed into place, and
// its directory fsynced.
type DirStore struct {
	root string
}

var _ TileStore = (*DirStore)(nil)

// NewDirStore returns a DirStore rooted at dir, creating dir (0755) if
// needed.
func NewDirStore(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: tile directory: %w", err)
	}
	return &DirStore{root: dir}, nil
}

// Root returns the directory holding the log's files.
func (s *DirStore) Root() string { return s.root }

func (s *DirStore) file(p string) (string, error) {
	if !filepath.IsLocal(p) || p == "" {
		return "", fmt.Errorf("ledger: store path %q: %w", p, guichet.ErrInvalid)
	}
	return filepath.Join(s.root, filepath.FromSlash(p)), nil
}

// Get reads one object.
func (s *DirStore) Get(_ context.Context, p string) ([]byte, error) {
	f, err := s.file(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ledger: %s: %w", p, guichet.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", p, err)
	}
	return b, nil
}

// Put writes objects durably.
func (s *DirStore) Put(ctx context.Context, objs []Object) error {
	dirs := map[string]bool{}
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := s.file(o.Path)
		if err != nil {
			return err
		}
		if err := s.mkdirs(filepath.Dir(f), dirs); err != nil {
			return err
		}
		if err := atomicfile.Replace(f, o.Data, 0o644); err != nil {
			return fmt.Errorf("ledger: write %s: %w", o.Path, err)
		}
		dirs[filepath.Dir(f)] = true
	}
	// Renames are durable once their directories are synced.
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		if err := atomicfile.SyncDir(d); err != nil {
			return fmt.Errorf("ledger: sync %s: %w", d, err)
		}
	}
	return nil
}

// mkdirs creates dir and its missing parents, noting every parent whose
// entries changed so Put syncs it.
func (s *DirStore) mkdirs(dir string, changed map[string]bool) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := s.mkdirs(parent, changed); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("ledger: mkdir: %w", err)
	}
	changed[parent] = true
	return nil
}
