package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
)

// GenerateSyntheticReports fills a database holding no report with n
// synthetic reports submitted one second apart from start, holding the
// keys report.SyntheticKeys gives, without sealed parts, secrets or events,
// and with no campaign: a rebuild files them. It is for guichet bench
// reports only and MUST NOT run on a real database (it refuses one that
// holds reports).
func (s *Store) GenerateSyntheticReports(ctx context.Context, n int, start time.Time) error {
	const seq = ` FROM generate_series(0, $1::bigint - 1) AS i`
	const id = `'bench-' || lpad(i::text, 10, '0')`
	const phone = `'+336' || lpad((i / 4)::text, 8, '0')`
	const next = `'+336' || lpad((i / 4 + 1)::text, 8, '0')`
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reports)`).Scan(&held); err != nil {
			return err
		}
		if held {
			return fmt.Errorf("the database holds reports: %w", guichet.ErrConflict)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO cases (id, ref, kind, category, status, created_at, submitted_at, updated_at)
				SELECT ` + id + `, 'SG-BENCH-' || lpad(i::text, 10, '0'), 'SG', 'phishing', 'submitted',
					$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second',
					$2::timestamptz + i * interval '1 second'` + seq, []any{n, start.UTC()}},
			{`INSERT INTO reports (case_id, lane) SELECT ` + id + `, 'normal'` + seq, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT ` + id + `, 0, 'phone', 'phone', ` + phone + `, true, ` + phone + `, ` + phone + `, '', '', 'phone:' || ` + phone + seq, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT ` + id + `, 1, 'phone', 'phone', ` + next + `, true, ` + next + `, ` + next + `, '', '', 'phone:' || ` + next + seq + ` WHERE i % 10 = 0`, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT ` + id + `, 2, 'email', 'domain', 'gmail.com', true, 'gmail.com', 'gmail.com', 'gmail.com', '', 'domain:gmail.com'` + seq + ` WHERE i % 50 = 0`, []any{n}},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT ` + id + `, 3, 'url', 'url', 'https://hub.example/', true, 'https://hub.example/', 'https://hub.example/', 'hub.example', '',
					'url:https://hub.example/'` + seq + ` WHERE i % 97 = 0`, []any{n}},
			{`UPDATE campaign_settings SET rebuild_needed = true WHERE id = 1`, nil},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: synthetic reports: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE cases, reports, report_seen`); err != nil {
		return fmt.Errorf("postgres: synthetic reports: analyze: %w", err)
	}
	return nil
}

// IndexBytes returns the bytes on disk of the cross-referencing index:
// the keys' table, the index of values by key, the campaigns and the
// table of which campaign each report is in (each with its indexes).
func (s *Store) IndexBytes(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, q := range []struct{ name, sql string }{
		{"indicator_keys", `SELECT pg_total_relation_size('indicator_keys')`},
		{"report_seen_key", `SELECT pg_relation_size('report_seen_key')`},
		{"campaigns", `SELECT pg_total_relation_size('campaigns')`},
		{"report_campaign", `SELECT pg_total_relation_size('report_campaign')`},
	} {
		var n int64
		if err := s.pool.QueryRow(ctx, q.sql).Scan(&n); err != nil {
			return nil, fmt.Errorf("postgres: index size: %w", err)
		}
		out[q.name] = n
	}
	return out, nil
}
