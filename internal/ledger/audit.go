package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

// Fetcher reads one object of a log by its path relative to the log
// prefix ("checkpoint", "tile/0/x001/234.p/5", ...). A missing object MUST
// yield an error wrapping guichet.ErrNotFound.
type Fetcher func(ctx context.Context, path string) ([]byte, error)

// maxFetch bounds any one object fetched: a full entry bundle of the
// largest entries.
const maxFetch = TileWidth * (2 + maxEntrySize)

// HTTPFetcher fetches from a log served over HTTP at prefix (for example
// "https://plainte.example.fr/log").
func HTTPFetcher(hc *http.Client, prefix string) Fetcher {
	if hc == nil {
		hc = http.DefaultClient
	}
	prefix = strings.TrimSuffix(prefix, "/")
	return func(ctx context.Context, path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, prefix+"/"+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", path, err)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("fetch %s: %w", path, guichet.ErrNotFound)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("fetch %s: %s", path, resp.Status)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", path, err)
		}
		if len(b) > maxFetch {
			return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrMalformed, path, maxFetch)
		}
		return b, nil
	}
}

// StoreFetcher reads a log straight from its TileStore (for self-audits).
func StoreFetcher(st TileStore) Fetcher {
	return st.Get
}

// LogReport is what VerifyLog established.
type LogReport struct {
	// Checkpoint is the log's latest checkpoint, verified; save its Note
	// as the state for the next run.
	Checkpoint *checkpoint.Verified
	// OldSize is the size of the saved checkpoint it extends (0 if none).
	OldSize int64
	// Entries is how many entries were hashed; Tiles how many served
	// hash tiles were compared.
	Entries int64
	Tiles   int
}

// VerifyLog audits a log: it fetches and verifies its checkpoint under p,
// recomputes the Merkle tree from the entry bundles, checks every hash
// tile the log serves against it and the root against the checkpoint,
// and — if saved (a checkpoint note from an earlier run) is not nil —
// checks that the new tree extends the saved one, hashing only the
// entries added since.
func VerifyLog(ctx context.Context, fetch Fetcher, p checkpoint.Policy, saved []byte) (*LogReport, error) {
	raw, err := fetch(ctx, CheckpointPath)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	v, err := p.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	rep := &LogReport{Checkpoint: v}
	b := &builder{}
	if saved != nil {
		sp := p
		sp.Quorum = 0 // the saved state was checked when it was saved
		old, err := sp.Open(saved)
		if err != nil {
			return nil, fmt.Errorf("saved checkpoint: %w", err)
		}
		switch {
		case old.Size > v.Size:
			return nil, fmt.Errorf("%w: saved size %d, log now %d", ErrRollback, old.Size, v.Size)
		case old.Size == v.Size && old.Hash != v.Hash:
			return nil, fmt.Errorf("%w: two different roots for size %d", ErrInconsistent, v.Size)
		}
		rep.OldSize = old.Size
		if b, err = fetchBuilder(ctx, fetch, old.Size); err != nil {
			return nil, err
		}
		if b.root() != old.Hash {
			return nil, fmt.Errorf("%w: the log's tiles for size %d do not hash to the saved root", ErrInconsistent, old.Size)
		}
	}
	size, start := v.Size, b.size
	var failed error
	compare := func(t tileOut) {
		if failed != nil || t.path.Level == EntriesLevel {
			return
		}
		rep.Tiles++
		got, err := fetch(ctx, t.path.String())
		if err != nil {
			failed = fmt.Errorf("%s: %w", t.path, err)
			return
		}
		if !bytes.Equal(got, t.data) {
			failed = fmt.Errorf("%w: %s (%s)", ErrTileMismatch, t.path, firstDiff(got, t.data))
		}
	}
	for n := start >> TileHeight; n<<TileHeight < size; n++ {
		p := bundleFor(n, size)
		data, err := fetch(ctx, p.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		es, err := ParseBundle(data)
		if err != nil || len(es) != p.W {
			return nil, fmt.Errorf("%w: %s: not a bundle of %d entries", ErrMalformed, p, p.W)
		}
		for i, e := range es {
			idx := n<<TileHeight + int64(i)
			h := tlog.RecordHash(e)
			if idx < start {
				// Already in the saved tree: must not have changed.
				if b.levels[0][i] != h {
					return nil, fmt.Errorf("%w: entry %d changed since the saved checkpoint", ErrInconsistent, idx)
				}
				continue
			}
			b.appendLeaf(nil, h, compare)
			rep.Entries++
			if failed != nil {
				return nil, failed
			}
		}
	}
	for _, t := range b.partials(start) {
		if compare(t); failed != nil {
			return nil, failed
		}
	}
	if got := b.root(); got != v.Hash {
		return nil, fmt.Errorf("%w: entries hash to %v, checkpoint says %v", ErrRootMismatch, got, v.Hash)
	}
	return rep, nil
}

// fetchBuilder loads the right edge of the tree of the given size from a
// log, falling back to the full tile when a partial one was deleted (the
// specification allows that once the full tile exists).
func fetchBuilder(ctx context.Context, fetch Fetcher, size int64) (*builder, error) {
	get := func(p TilePath, wantLen func([]byte) ([]byte, error)) ([]byte, error) {
		data, err := fetch(ctx, p.String())
		if errors.Is(err, guichet.ErrNotFound) && !p.Full() {
			full := p
			full.W = TileWidth
			data, err = fetch(ctx, full.String())
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return wantLen(data)
	}
	b := &builder{size: size}
	for L := 0; size>>(TileHeight*L) > 0; L++ {
		shift := uint(TileHeight * L)
		w := int(size >> shift % TileWidth)
		var hs []tlog.Hash
		if w > 0 {
			p := TilePath{Level: L, N: size >> (shift + TileHeight), W: w}
			data, err := get(p, func(d []byte) ([]byte, error) {
				if len(d) < w*hashSize || len(d)%hashSize != 0 {
					return nil, fmt.Errorf("%w: %s: %d bytes", ErrMalformed, p, len(d))
				}
				return d[:w*hashSize], nil
			})
			if err != nil {
				return nil, err
			}
			hs, _ = tileHashes(data)
		}
		b.levels = append(b.levels, append(make([]tlog.Hash, 0, TileWidth), hs...))
	}
	return b, nil
}

func firstDiff(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d bytes, expected %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("hash %d differs", i/hashSize)
		}
	}
	return "equal"
}
