package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/verifier"
)

var _ verifier.Store = (*Store)(nil)

// CheckKeys returns what the public may be told of keys: one round trip
// (a batch of two queries), each key looked up by primary key, its first and latest reports through
// the index of values by key.
func (s *Store) CheckKeys(ctx context.Context, keys []string) (map[string]verifier.Fact, error) {
	out := map[string]verifier.Fact{}
	if len(keys) == 0 {
		return out, nil
	}
	var covered []string
	for _, k := range keys {
		covered = append(covered, report.CoveredBy(k)...)
	}
	// Both lookups in one round trip.
	var b pgx.Batch
	b.Queue(`SELECT key, kind, canonical, category, label, added_by, added_at
		FROM known_good WHERE key = ANY($1)`, covered)
	b.Queue(`SELECT k.key, k.degree,
			(SELECT MIN(c.submitted_at) FROM report_seen s JOIN cases c ON c.id = s.case_id WHERE s.key = k.key),
			(SELECT MAX(c.submitted_at) FROM report_seen s JOIN cases c ON c.id = s.case_id WHERE s.key = k.key)
		FROM indicator_keys k WHERE k.key = ANY($1) AND k.published_at IS NOT NULL AND k.degree > 0`, keys)
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	good := map[string]report.KnownGood{}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("postgres: check keys: known-good: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var g report.KnownGood
		err := r.Scan(&g.Key, &g.Kind, &g.Canonical, &g.Category, &g.Label, &g.AddedBy, tm(&g.AddedAt))
		good[g.Key] = g
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: check keys: known-good: %w", err)
	}
	if rows, err = br.Query(); err != nil {
		return nil, fmt.Errorf("postgres: check keys: %w", err)
	}
	published := map[string]*verifier.Published{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			k string
			p verifier.Published
		)
		err := r.Scan(&k, &p.Reports, tm(&p.FirstSeen), tm(&p.LastSeen))
		published[k] = &p
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: check keys: %w", err)
	}
	for _, k := range keys {
		f := verifier.Fact{Key: k, Published: published[k]}
		for _, c := range report.CoveredBy(k) {
			if g, ok := good[c]; ok {
				f.KnownGood = &g
				break
			}
		}
		if f.KnownGood != nil || f.Published != nil {
			out[k] = f
		}
	}
	return out, nil
}
