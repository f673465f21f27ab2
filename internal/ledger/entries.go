package ledger

import (
	"context"
	"fmt"
)

// FetchEntries returns the entries [0, size) of a log through fetch, read
// from the entry bundles published for a tree of that size. It checks
// only the bundles' framing: pair it with VerifyLog (which checks the
// entries hash to a signed root) before trusting what it returns.
func FetchEntries(ctx context.Context, fetch Fetcher, size int64) ([][]byte, error) {
	out := make([][]byte, 0, size)
	for n := int64(0); n<<TileHeight < size; n++ {
		es, err := fetchBundle(ctx, fetch, n, size)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// fetchBundle fetches and parses entry bundle n of a tree of size entries,
// which must hold exactly the entries the tree gives it.
func fetchBundle(ctx context.Context, fetch Fetcher, n, size int64) ([][]byte, error) {
	p := bundleFor(n, size)
	data, err := fetch(ctx, p.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	es, err := ParseBundle(data)
	if err != nil || len(es) != p.W {
		return nil, fmt.Errorf("%w: %s: not a bundle of %d entries", ErrMalformed, p, p.W)
	}
	return es, nil
}
