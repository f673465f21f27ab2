package ledger

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/guichet/guichet"
)

// Tile geometry fixed by c2sp.org/tlog-tiles: tiles are 8 levels of the
// Merkle tree high, so a full tile holds 256 hashes (or a full entry bundle
// 256 entries).
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
	hashSize   = 32
)

// EntriesLevel is the Level of an entry bundle in a TilePath.
const EntriesLevel = -1

// maxLevel is the highest tile level the specification allows.
const maxLevel = 63

// TilePath names one tile or entry bundle of the log, as in the URL paths
// of c2sp.org/tlog-tiles: "tile/<L>/<N>[.p/<W>]" for hash tiles and
// "tile/entries/<N>[.p/<W>]" for entry bundles.
type TilePath struct {
	// Level is the tile level (0 holds leaf hashes), or EntriesLevel.
	Level int
	// N is the tile's index within its level.
	N int64
	// W is the tile's width, 1 to 256; 256 means a full tile.
	W int
}

// Full reports whether t is a full (immutable) tile.
func (t TilePath) Full() bool { return t.W == TileWidth }

// String returns t's path relative to the log prefix, e.g.
// "tile/0/x001/234.p/5" or "tile/entries/067".
func (t TilePath) String() string {
	var b strings.Builder
	b.WriteString("tile/")
	if t.Level == EntriesLevel {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(t.Level))
	}
	b.WriteByte('/')
	b.WriteString(encodeIndex(t.N))
	if t.W != TileWidth {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(t.W))
	}
	return b.String()
}

// encodeIndex writes n as zero-padded three-digit path elements, all but
// the last prefixed with "x": 1234067 → "x001/x234/067".
func encodeIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// ParseTilePath parses a tile or entry-bundle path relative to the log
// prefix. It accepts only the canonical encoding that String writes, so
// every tile has exactly one path. Errors wrap guichet.ErrInvalid.
func ParseTilePath(p string) (TilePath, error) {
	bad := func(why string) (TilePath, error) {
		return TilePath{}, fmt.Errorf("tile path %q: %s: %w", p, why, guichet.ErrInvalid)
	}
	if len(p) > 64 {
		return bad("too long")
	}
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok {
		return bad("no tile/ prefix")
	}
	lvl, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("no index")
	}
	t := TilePath{W: TileWidth}
	if lvl == "entries" {
		t.Level = EntriesLevel
	} else {
		l, err := strconv.Atoi(lvl)
		if err != nil || l < 0 || l > maxLevel || strconv.Itoa(l) != lvl {
			return bad("bad level")
		}
		t.Level = l
	}
	if idx, w, ok := strings.Cut(rest, ".p/"); ok {
		width, err := strconv.Atoi(w)
		if err != nil || width < 1 || width >= TileWidth || strconv.Itoa(width) != w {
			return bad("bad width")
		}
		t.W, rest = width, idx
	}
	elems := strings.Split(rest, "/")
	if len(elems) > 7 { // 10^21 > 2^63: more elements cannot be an int64
		return bad("index too large")
	}
	var n uint64
	for i, e := range elems {
		last := i == len(elems)-1
		if !last {
			var ok bool
			if e, ok = strings.CutPrefix(e, "x"); !ok {
				return bad("missing x prefix")
			}
		}
		if len(e) != 3 || e[0] < '0' || e[0] > '9' || e[1] < '0' || e[1] > '9' || e[2] < '0' || e[2] > '9' {
			return bad("bad index element")
		}
		d, _ := strconv.Atoi(e)
		if n > (1<<63-1-uint64(d))/1000 {
			return bad("index too large")
		}
		n = n*1000 + uint64(d)
	}
	t.N = int64(n)
	if t.String() != p {
		return bad("not canonical")
	}
	return t, nil
}
