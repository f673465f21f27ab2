package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/verifier"
)

var _ verifier.Store = (*Store)(nil)

// The public checker's lookups (prepared on the reader pool): a published
// key by its primary key, its first and latest reports through the index
// of values by key; a known-good entry by its primary key.
const (
	qPublishedKey = `SELECT k.degree,
			(SELECT MIN(c.submitted_at) FROM report_seen s JOIN cases c ON c.id = s.case_id WHERE s.key = k.key),
			(SELECT MAX(c.submitted_at) FROM report_seen s JOIN cases c ON c.id = s.case_id WHERE s.key = k.key)
		FROM indicator_keys k WHERE k.key = ? AND k.published_at IS NOT NULL AND k.degree > 0`
	qKnownGoodEntry = `SELECT key, kind, canonical, category, label, added_by, added_at FROM known_good WHERE key = ?`
)

// CheckKeys returns what the public may be told of keys.
func (s *Store) CheckKeys(ctx context.Context, keys []string) (map[string]verifier.Fact, error) {
	out := map[string]verifier.Fact{}
	for _, k := range keys {
		f := verifier.Fact{Key: k}
		for _, c := range report.CoveredBy(k) {
			var g report.KnownGood
			err := s.readRow(ctx, qKnownGoodEntry, c).Scan(&g.Key, &g.Kind, &g.Canonical, &g.Category, &g.Label, &g.AddedBy, tm(&g.AddedAt))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("sqlite: check keys: known-good: %w", err)
			}
			f.KnownGood = &g
			break
		}
		var p verifier.Published
		err := s.readRow(ctx, qPublishedKey, k).Scan(&p.Reports, tm(&p.FirstSeen), tm(&p.LastSeen))
		switch {
		case err == nil:
			f.Published = &p
		case !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("sqlite: check keys: %w", err)
		}
		if f.KnownGood != nil || f.Published != nil {
			out[k] = f
		}
	}
	return out, nil
}
