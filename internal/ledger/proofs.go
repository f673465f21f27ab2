package ledger

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/guichet/guichet"
	"golang.org/x/mod/sumdb/tlog"
)

// tileCache keeps recently read tiles. Only tiles covered by a published
// (or durable) checkpoint are read through it, and those never change, so
// entries need no invalidation.
type tileCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[string]*list.Element
}

type cacheEntry struct {
	path string
	data []byte
}

func newTileCache(max int) *tileCache {
	return &tileCache{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *tileCache) get(path string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[path]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).data, true
	}
	return nil, false
}

func (c *tileCache) add(path string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[path]; ok {
		return
	}
	c.m[path] = c.ll.PushFront(&cacheEntry{path, data})
	for c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.m, e.Value.(*cacheEntry).path)
	}
}

// tileFor returns the path of hash tile (level, n) as stored for a tree of
// the given size: full if the tree covers it, else the partial tile of
// that size.
func tileFor(level int, n, size int64) TilePath {
	w := size>>(TileHeight*level) - n<<TileHeight
	if w > TileWidth {
		w = TileWidth
	}
	return TilePath{Level: level, N: n, W: int(w)}
}

// storeHashReader is a tlog.HashReader over the stored tiles of a tree of
// a given size, which MUST be a durable checkpoint's size.
type storeHashReader struct {
	ctx   context.Context
	store TileStore
	cache *tileCache
	size  int64
}

func (r storeHashReader) tile(p TilePath) ([]byte, error) {
	key := p.String()
	if data, ok := r.cache.get(key); ok {
		return data, nil
	}
	data, err := r.store.Get(r.ctx, key)
	if err != nil {
		return nil, err
	}
	if len(data) != p.W*hashSize {
		return nil, fmt.Errorf("%w: %s has %d bytes, want %d", ErrCorrupt, key, len(data), p.W*hashSize)
	}
	r.cache.add(key, data)
	return data, nil
}

// ReadHashes implements tlog.HashReader.
func (r storeHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		t := tlog.TileForIndex(TileHeight, idx)
		p := tileFor(t.L, t.N, r.size)
		if p.W < t.W {
			return nil, fmt.Errorf("ledger: hash %d is not in the tree of size %d", idx, r.size)
		}
		data, err := r.tile(p)
		if err != nil {
			return nil, err
		}
		t.W = p.W
		if out[i], err = tlog.HashFromTile(t, data, idx); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
	}
	return out, nil
}

// hashReader returns a HashReader for the tree of the given size, which
// MUST NOT exceed the durable checkpoint's.
func (l *Log) hashReader(ctx context.Context, size int64) tlog.HashReader {
	return storeHashReader{ctx: ctx, store: l.store, cache: l.cache, size: size}
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in
// the tree of size treeSize, which MUST NOT exceed the published size.
// Errors wrap guichet.ErrInvalid for impossible arguments.
func (l *Log) InclusionProof(ctx context.Context, index, treeSize int64) (tlog.RecordProof, error) {
	if pub := l.latest(ctx, treeSize).cp.Size; index < 0 || treeSize > pub || index >= treeSize {
		return nil, fmt.Errorf("ledger: inclusion of %d in %d (published %d): %w", index, treeSize, pub, guichet.ErrInvalid)
	}
	p, err := tlog.ProveRecord(treeSize, index, l.hashReader(ctx, treeSize))
	if err != nil {
		return nil, fmt.Errorf("ledger: prove %d in %d: %w", index, treeSize, err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof from the tree
// of size oldSize to the tree of size newSize, which MUST NOT exceed the
// published size.
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	if pub := l.latest(ctx, newSize).cp.Size; oldSize < 0 || oldSize > newSize || newSize > pub {
		return nil, fmt.Errorf("ledger: consistency %d→%d (published %d): %w", oldSize, newSize, pub, guichet.ErrInvalid)
	}
	return l.proveTree(ctx, oldSize, newSize)
}

func (l *Log) proveTree(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	if oldSize == 0 || oldSize == newSize {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, l.hashReader(ctx, newSize))
	if err != nil {
		return nil, fmt.Errorf("ledger: prove %d→%d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// TreeHash returns the root hash of the tree of the given size (not more
// than the published size).
func (l *Log) TreeHash(ctx context.Context, size int64) (tlog.Hash, error) {
	if pub := l.latest(ctx, size).cp.Size; size < 0 || size > pub {
		return tlog.Hash{}, fmt.Errorf("ledger: tree hash of %d (published %d): %w", size, pub, guichet.ErrInvalid)
	}
	return tlog.TreeHash(size, l.hashReader(ctx, size))
}

// Entry returns the leaf at index (which MUST be below the published
// size).
func (l *Log) Entry(ctx context.Context, index int64) ([]byte, error) {
	size := l.latest(ctx, index+1).cp.Size
	if index < 0 || index >= size {
		return nil, fmt.Errorf("ledger: entry %d (published %d): %w", index, size, guichet.ErrNotFound)
	}
	es, err := readEntries(ctx, l.store, size, index, index+1)
	if err != nil {
		return nil, err
	}
	return es[0], nil
}
