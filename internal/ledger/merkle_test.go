package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/guichet/guichet"
	"golang.org/x/mod/sumdb/tlog"
)

// The RFC 6962 reference inputs and tree heads used by Certificate
// Transparency implementations (and transparency-dev/merkle's tests).
var (
	rfcLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	rfcRoots  = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	// Inclusion proofs: leaf index (0-based), tree size, audit path.
	rfcInclusion = []struct {
		index, size int64
		proof       []string
	}{
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	rfcConsistency = []struct {
		old, size int64
		proof     []string
	}{
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memTiles collects what a builder emits, keyed by path.
type memTiles map[string][]byte

func (m memTiles) Get(_ context.Context, p string) ([]byte, error) {
	if b, ok := m[p]; ok {
		return b, nil
	}
	return nil, guichet.ErrNotFound
}

func TestBuilderRFC6962Roots(t *testing.T) {
	for n := 0; n <= len(rfcLeaves); n++ {
		b := &builder{}
		for _, l := range rfcLeaves[:n] {
			b.appendLeaf(nil, tlog.RecordHash(mustHex(t, l)), func(tileOut) {})
		}
		if root := b.root(); hex.EncodeToString(root[:]) != rfcRoots[n] {
			t.Errorf("size %d: root %x, RFC 6962 says %s", n, root, rfcRoots[n])
		}
	}
}

// The proofs our Log serves come from tlog over our tiles: check that the
// whole chain reproduces the RFC 6962 reference proofs.
func TestProofsRFC6962Vectors(t *testing.T) {
	st := memTiles{}
	b := &builder{keepEntries: true}
	var leaves [][]byte
	for _, l := range rfcLeaves {
		leaves = append(leaves, mustHex(t, l))
	}
	for _, e := range leaves {
		b.appendLeaf(e, tlog.RecordHash(e), func(o tileOut) { st[o.path.String()] = o.data })
	}
	for _, o := range b.partials(0) {
		st[o.path.String()] = o.data
	}
	r := storeHashReader{ctx: t.Context(), store: st, cache: newTileCache(10), size: 8}
	for _, v := range rfcInclusion {
		sr := r
		sr.size = 8 // tiles of size 8 serve any smaller tree
		p, err := tlog.ProveRecord(v.size, v.index, sr)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(v.proof) {
			t.Fatalf("inclusion %d in %d: %d hashes, want %d", v.index, v.size, len(p), len(v.proof))
		}
		for i := range p {
			if hex.EncodeToString(p[i][:]) != v.proof[i] {
				t.Errorf("inclusion %d in %d: hash %d = %x, want %s", v.index, v.size, i, p[i], v.proof[i])
			}
		}
		root := tlog.Hash(mustHex(t, rfcRoots[v.size]))
		if err := tlog.CheckRecord(p, v.size, root, v.index, tlog.RecordHash(leaves[v.index])); err != nil {
			t.Errorf("CheckRecord: %v", err)
		}
	}
	for _, v := range rfcConsistency {
		p, err := tlog.ProveTree(v.size, v.old, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(v.proof) {
			t.Fatalf("consistency %d→%d: %d hashes, want %d", v.old, v.size, len(p), len(v.proof))
		}
		for i := range p {
			if hex.EncodeToString(p[i][:]) != v.proof[i] {
				t.Errorf("consistency %d→%d: hash %d = %x, want %s", v.old, v.size, i, p[i], v.proof[i])
			}
		}
	}
}

// Against golang.org/x/mod/sumdb/tlog's own storage model: the tiles our
// builder writes when growing a tree are exactly tlog.NewTiles, with the
// content of tlog.ReadTileData, and the roots agree.
func TestBuilderMatchesTlog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var stored []tlog.Hash // tlog's linear hash storage
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	b := &builder{keepEntries: true}
	var size int64
	for size < 70_000 {
		old := size
		grow := int64(1 + rng.IntN(3000))
		if rng.IntN(4) == 0 {
			grow = int64(1 + rng.IntN(5))
		}
		got := map[string][]byte{}
		for i := int64(0); i < grow; i++ {
			e := fmt.Appendf(nil, "entry %d", size)
			hs, err := tlog.StoredHashes(size, e, hr)
			if err != nil {
				t.Fatal(err)
			}
			stored = append(stored, hs...)
			b.appendLeaf(e, tlog.RecordHash(e), func(o tileOut) { got[o.path.String()] = o.data })
			size++
		}
		for _, o := range b.partials(old) {
			got[o.path.String()] = o.data
		}
		want := tlog.NewTiles(TileHeight, old, size)
		for _, tl := range want {
			p := TilePath{Level: tl.L, N: tl.N, W: tl.W}
			data, err := tlog.ReadTileData(tl, hr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[p.String()], data) {
				t.Fatalf("%d→%d: tile %s differs from tlog's", old, size, p)
			}
			delete(got, p.String())
			if tl.L == 0 {
				bp := TilePath{Level: EntriesLevel, N: tl.N, W: tl.W}
				es, err := ParseBundle(got[bp.String()])
				if err != nil || len(es) != tl.W {
					t.Fatalf("%d→%d: bundle %s: %v (%d entries)", old, size, bp, err, len(es))
				}
				for i, e := range es {
					if want := fmt.Appendf(nil, "entry %d", tl.N*TileWidth+int64(i)); !bytes.Equal(e, want) {
						t.Fatalf("bundle %s entry %d = %q", bp, i, e)
					}
				}
				delete(got, bp.String())
			}
		}
		if len(got) != 0 {
			t.Fatalf("%d→%d: extra tiles %v", old, size, keys(got))
		}
		th, err := tlog.TreeHash(size, hr)
		if err != nil {
			t.Fatal(err)
		}
		if b.root() != th {
			t.Fatalf("size %d: root differs from tlog.TreeHash", size)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTilePath(t *testing.T) {
	for _, tc := range []struct {
		p    TilePath
		path string
	}{
		{TilePath{0, 0, 256}, "tile/0/000"},
		{TilePath{0, 1234067, 256}, "tile/0/x001/x234/067"},
		{TilePath{1, 1234067, 5}, "tile/1/x001/x234/067.p/5"},
		{TilePath{EntriesLevel, 1000, 255}, "tile/entries/x001/000.p/255"},
		{TilePath{63, 999, 1}, "tile/63/999.p/1"},
		{TilePath{2, 1<<63 - 1, 256}, "tile/2/x009/x223/x372/x036/x854/x775/807"},
	} {
		if got := tc.p.String(); got != tc.path {
			t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.path)
		}
		got, err := ParseTilePath(tc.path)
		if err != nil || got != tc.p {
			t.Errorf("ParseTilePath(%q) = %+v, %v", tc.path, got, err)
		}
	}
	for _, bad := range []string{
		"", "tile/", "tile/0", "tile/0/", "tile/00/000", "tile/64/000", "tile/-1/000", "tile/0/0", "tile/0/0000",
		"tile/0/001/002", "tile/0/x000/001", "tile/0/x001", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/01",
		"tile/0/000.p/", "tile/data/000", "tile/entries/x001/x000", "tile/0/x009/x223/x372/x036/x854/x775/808",
		"tile/0/x001/x002/x003/x004/x005/x006/x007/008", "tiles/0/000", "tile/0/00a", "tile/0/+01", "/tile/0/000",
		"tile/0/000/", "tile/0/000.p/5/", "tile/ 0/000",
	} {
		if _, err := ParseTilePath(bad); !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("ParseTilePath(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/x234/067.p/5", "tile/63/999.p/1", "tile/0/x000/001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseTilePath(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("%q parses to %+v which prints %q", s, p, p.String())
		}
		if p.W < 1 || p.W > TileWidth || p.N < 0 || p.Level < EntriesLevel || p.Level > maxLevel {
			t.Fatalf("%q parses to out-of-range %+v", s, p)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseBundle(b)
		if err != nil {
			return
		}
		var re []byte
		for _, e := range es {
			re = appendBundleEntry(re, e)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("bundle does not round-trip")
		}
	})
}

func (m memTiles) Put(_ context.Context, objs []Object) error {
	for _, o := range objs {
		m[o.Path] = o.Data
	}
	return nil
}
