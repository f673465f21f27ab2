package ledger

import (
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// maxEntrySize is the largest entry an entry bundle can hold (its length
// prefix is a big-endian uint16).
const maxEntrySize = 1<<16 - 1

// appendBundleEntry appends e to an entry bundle, length-prefixed.
func appendBundleEntry(b, e []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
	return append(b, e...)
}

// ParseBundle splits an entry bundle into its entries (c2sp.org/tlog-tiles:
// a sequence of big-endian uint16 length-prefixed entries). The entries
// alias b.
func ParseBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("entry bundle: truncated length prefix")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fmt.Errorf("entry bundle: entry %d truncated", len(out))
		}
		out = append(out, b[2:2+n:2+n])
		b = b[2+n:]
		if len(out) > TileWidth {
			return nil, fmt.Errorf("entry bundle: more than %d entries", TileWidth)
		}
	}
	return out, nil
}

// tileBytes concatenates hashes into tile data.
func tileBytes(hs []tlog.Hash) []byte {
	b := make([]byte, 0, len(hs)*hashSize)
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// tileHashes splits tile data into hashes.
func tileHashes(b []byte) ([]tlog.Hash, error) {
	if len(b)%hashSize != 0 || len(b) == 0 || len(b) > TileWidth*hashSize {
		return nil, fmt.Errorf("tile data of %d bytes", len(b))
	}
	hs := make([]tlog.Hash, len(b)/hashSize)
	for i := range hs {
		copy(hs[i][:], b[i*hashSize:])
	}
	return hs, nil
}

// subtreeRoot returns the RFC 6962 hash of a perfect subtree whose leaves
// (at some level) are hs; len(hs) MUST be a power of two.
func subtreeRoot(hs []tlog.Hash) tlog.Hash {
	if len(hs) == 1 {
		return hs[0]
	}
	buf := slices.Clone(hs)
	for n := len(buf); n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			buf[i] = tlog.NodeHash(buf[2*i], buf[2*i+1])
		}
	}
	return buf[0]
}

// emptyRoot is the RFC 6962 hash of the empty tree: SHA-256 of nothing.
var emptyRoot = func() tlog.Hash {
	h, err := tlog.TreeHash(0, nil)
	if err != nil {
		panic(err)
	}
	return h
}()

// tileOut is a tile or bundle the builder completed or changed.
type tileOut struct {
	path TilePath
	data []byte
}

// builder is the right edge of the tree: for each tile level, the hashes
// of its rightmost, partial tile, and the entries of the rightmost partial
// bundle. It is all the sequencer needs to append leaves, compute the new
// root, and write the tiles that change; appending costs about two
// SHA-256 per leaf.
type builder struct {
	size    int64
	levels  [][]tlog.Hash // levels[L] holds (size >> 8L) % 256 hashes
	entries [][]byte      // size % 256 entries; nil when not tracked
	// keepEntries says whether entries (and bundles) are tracked.
	keepEntries bool
}

func (b *builder) clone() *builder {
	c := &builder{size: b.size, keepEntries: b.keepEntries, levels: make([][]tlog.Hash, len(b.levels))}
	for i, l := range b.levels {
		c.levels[i] = slices.Clone(l)
	}
	c.entries = slices.Clone(b.entries)
	return c
}

// appendLeaf adds the leaf with the given entry (may be nil when entries
// are not tracked) and leaf hash. Each tile or bundle that becomes full is
// passed to full.
func (b *builder) appendLeaf(entry []byte, h tlog.Hash, full func(tileOut)) {
	if b.keepEntries {
		b.entries = append(b.entries, entry)
		if len(b.entries) == TileWidth {
			var data []byte
			for _, e := range b.entries {
				data = appendBundleEntry(data, e)
			}
			full(tileOut{TilePath{Level: EntriesLevel, N: b.size >> TileHeight, W: TileWidth}, data})
			b.entries = b.entries[:0]
		}
	}
	b.size++
	for L := 0; ; L++ {
		if L == len(b.levels) {
			b.levels = append(b.levels, make([]tlog.Hash, 0, TileWidth))
		}
		b.levels[L] = append(b.levels[L], h)
		if len(b.levels[L]) < TileWidth {
			return
		}
		n := (b.size - 1) >> (TileHeight * (L + 1))
		full(tileOut{TilePath{Level: L, N: n, W: TileWidth}, tileBytes(b.levels[L])})
		h = subtreeRoot(b.levels[L])
		b.levels[L] = b.levels[L][:0]
	}
}

// partials returns the partial tiles and bundle of the current size whose
// content differs from that at size old (the c2sp.org/tlog-tiles tiles
// that must be published for a new checkpoint, full ones excepted).
func (b *builder) partials(old int64) []tileOut {
	var out []tileOut
	for L, hs := range b.levels {
		shift := uint(TileHeight * L)
		if len(hs) == 0 || old>>shift == b.size>>shift {
			continue
		}
		out = append(out, tileOut{TilePath{Level: L, N: b.size >> (shift + TileHeight), W: len(hs)}, tileBytes(hs)})
	}
	if b.keepEntries && len(b.entries) > 0 && old != b.size {
		var data []byte
		for _, e := range b.entries {
			data = appendBundleEntry(data, e)
		}
		out = append(out, tileOut{TilePath{Level: EntriesLevel, N: b.size >> TileHeight, W: len(b.entries)}, data})
	}
	return out
}

// root returns the RFC 6962 root hash of the tree of b.size leaves.
func (b *builder) root() tlog.Hash {
	// The tree's maximal perfect subtrees, left to right, are the groups
	// of hashes named by the bits of each level's partial tile width,
	// from the top level down.
	var nodes []tlog.Hash
	for L := len(b.levels) - 1; L >= 0; L-- {
		hs := b.levels[L]
		for bit := TileHeight - 1; bit >= 0; bit-- {
			if len(hs)&(1<<bit) == 0 {
				continue
			}
			start := len(hs) &^ (1<<(bit+1) - 1)
			nodes = append(nodes, subtreeRoot(hs[start:start+1<<bit]))
		}
	}
	if len(nodes) == 0 {
		return emptyRoot
	}
	h := nodes[len(nodes)-1]
	for i := len(nodes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(nodes[i], h)
	}
	return h
}
