package ledger

import (
	"bytes"
	"context"
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

// AuditOptions tune VerifyLog.
type AuditOptions struct {
	// Saved is a checkpoint note saved by an earlier run, or nil. The
	// log MUST extend it.
	Saved []byte
	// Full re-hashes every entry even when Saved is set, which also
	// catches tampering with entries and tiles older than Saved (the
	// incremental check trusts what the earlier run verified).
	Full bool
}

// VerifyLog audits a log: it fetches and verifies its checkpoint under p,
// recomputes the Merkle tree from the entry bundles, checks every hash
// tile it rebuilds against the one the log serves, and the root against
// the checkpoint. With a saved checkpoint it also checks that the new tree
// extends the saved one, hashing only the entries added since (unless
// Full).
func VerifyLog(ctx context.Context, fetch Fetcher, p checkpoint.Policy, opts AuditOptions) (*LogReport, error) {
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
	var old *checkpoint.Verified
	if opts.Saved != nil {
		sp := p
		sp.Quorum = 0 // the saved state was checked when it was saved
		if old, err = sp.Open(opts.Saved); err != nil {
			return nil, fmt.Errorf("saved checkpoint: %w", err)
		}
		switch {
		case old.Size > v.Size:
			return nil, fmt.Errorf("%w: saved size %d, log now %d", ErrRollback, old.Size, v.Size)
		case old.Size == v.Size && old.Hash != v.Hash:
			return nil, fmt.Errorf("%w: two different roots for size %d", ErrInconsistent, v.Size)
		}
		rep.OldSize = old.Size
		if !opts.Full {
			if b, err = fetchBuilder(ctx, fetch, old.Size, v.Size); err != nil {
				return nil, err
			}
			if b.root() != old.Hash {
				return nil, fmt.Errorf("%w: the log's tree at size %d does not hash to the saved root", ErrInconsistent, old.Size)
			}
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
		es, err := fetchBundle(ctx, fetch, n, size)
		if err != nil {
			return nil, err
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
			if old != nil && opts.Full && b.size == old.Size && b.root() != old.Hash {
				return nil, fmt.Errorf("%w: the entries up to %d do not hash to the saved root", ErrInconsistent, old.Size)
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

// fetchBuilder rebuilds the right edge of the tree of size old from the
// tiles a log serves for its current size (old's own partial tiles may be
// gone: the specification lets logs delete them once full). The caller
// checks the result against the saved root.
func fetchBuilder(ctx context.Context, fetch Fetcher, old, size int64) (*builder, error) {
	b := &builder{size: old}
	for L := 0; old>>(TileHeight*L) > 0; L++ {
		shift := uint(TileHeight * L)
		w := int(old >> shift % TileWidth)
		var hs []tlog.Hash
		if w > 0 {
			p := tileFor(L, old>>(shift+TileHeight), size)
			data, err := fetch(ctx, p.String())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if hs, err = tileHashes(data); err != nil || len(hs) != p.W {
				return nil, fmt.Errorf("%w: %s: %d bytes", ErrMalformed, p, len(data))
			}
			hs = hs[:w]
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
