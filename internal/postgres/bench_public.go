package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
)

// GenerateSyntheticPublished fills a database holding no case with n
// synthetic reports submitted evenly over span from start, report i
// holding two keys: phone:+336<i> (its own) and url:https://scam-<i/8>.example/
// (shared by eight), every key published, with its degree in the index.
// No campaign, sealed part, secret or event is written. It is for guichet
// bench verifier only and MUST NOT run on a real database (it refuses one
// that holds cases).
func (s *Store) GenerateSyntheticPublished(ctx context.Context, n int, start time.Time, span time.Duration) error {
	step := max(span/time.Duration(max(n, 1)), time.Microsecond)
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases)`).Scan(&held); err != nil {
			return err
		}
		if held {
			return fmt.Errorf("the database holds cases: %w", guichet.ErrConflict)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO cases (id, ref, kind, category, status, created_at, submitted_at, updated_at)
				SELECT format('vbench-%s', lpad(i::text, 10, '0')), format('SG-VBENCH-%s', lpad(i::text, 10, '0')), 'SG', 'phishing', 'submitted',
					$2::timestamptz + i * $3::interval, $2::timestamptz + i * $3::interval, $2::timestamptz + i * $3::interval
				FROM generate_series(0, $1 - 1) i`, []any{n, start, step}},
			{`INSERT INTO reports (case_id, lane) SELECT format('vbench-%s', lpad(i::text, 10, '0')), 'normal' FROM generate_series(0, $1 - 1) i`, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT format('vbench-%s', lpad(i::text, 10, '0')), 0, 'phone', 'phone', p, true, p, p, '', '', 'phone:' || p
				FROM generate_series(0, $1 - 1) i, LATERAL (SELECT '+336' || lpad(i::text, 8, '0') AS p) x`, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT format('vbench-%s', lpad(i::text, 10, '0')), 1, 'url', 'url', u, true, u, u, format('scam-%s.example', i / 8), '', 'url:' || u
				FROM generate_series(0, $1 - 1) i, LATERAL (SELECT format('https://scam-%s.example/', i / 8) AS u) x`, []any{n}},
			{`INSERT INTO indicator_keys (key, degree, published_by, published_at)
				SELECT key, COUNT(*), 'bench', $1 FROM report_seen GROUP BY key`, []any{start}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: synthetic published keys: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE cases, reports, report_seen, indicator_keys`); err != nil {
		return fmt.Errorf("postgres: synthetic published keys: %w", err)
	}
	return nil
}

// KeyDegree reads one key's degree by primary key, nothing else: the
// floor guichet bench verifier measures the checker against.
func (s *Store) KeyDegree(ctx context.Context, key string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT degree FROM indicator_keys WHERE key = $1`, key).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, err
}
