package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/guichet/guichet"
)

// GenerateSyntheticReports fills a database holding no report with n
// synthetic reports submitted one second apart from start, holding the
// keys report.SyntheticKeys gives, without sealed parts, secrets or events,
// and with no campaign: a rebuild files them. It is for guichet bench
// reports only and MUST NOT run on a real database (it refuses one that
// holds reports).
func (s *Store) GenerateSyntheticReports(ctx context.Context, n int, start time.Time) error {
	const seq = `WITH RECURSIVE seq (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?) `
	base := start.UnixMicro()
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM reports LIMIT 1)`).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return fmt.Errorf("the database holds reports: %w", guichet.ErrConflict)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{seq + `INSERT INTO cases (id, ref, kind, category, status, created_at, submitted_at, updated_at)
				SELECT printf('bench-%010d', i), printf('SG-BENCH-%010d', i), 'SG', 'phishing', 'submitted',
					? + i * 1000000, ? + i * 1000000, ? + i * 1000000 FROM seq`, []any{n, base, base, base}},
			{seq + `INSERT INTO reports (case_id, lane) SELECT printf('bench-%010d', i), 'normal' FROM seq`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('bench-%010d', i), 0, 'phone', 'phone', printf('+336%08d', i / 4), 1, printf('+336%08d', i / 4),
					printf('+336%08d', i / 4), '', '', printf('phone:+336%08d', i / 4) FROM seq`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('bench-%010d', i), 1, 'phone', 'phone', printf('+336%08d', i / 4 + 1), 1, printf('+336%08d', i / 4 + 1),
					printf('+336%08d', i / 4 + 1), '', '', printf('phone:+336%08d', i / 4 + 1) FROM seq WHERE i % 10 = 0`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('bench-%010d', i), 2, 'email', 'domain', 'gmail.com', 1, 'gmail.com', 'gmail.com', 'gmail.com', '',
					'domain:gmail.com' FROM seq WHERE i % 50 = 0`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('bench-%010d', i), 3, 'url', 'url', 'https://hub.example/', 1, 'https://hub.example/',
					'https://hub.example/', 'hub.example', '', 'url:https://hub.example/' FROM seq WHERE i % 97 = 0`, []any{n}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE campaign_settings SET rebuild_needed = 1 WHERE id = 1`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: synthetic reports: %w", err)
	}
	return nil
}

// IndexBytes returns the bytes on disk of the cross-referencing index:
// the keys' table, the index of values by key, the campaigns and the
// table of which campaign each report is in.
func (s *Store) IndexBytes(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, name := range []string{"indicator_keys", "report_seen_key", "campaigns", "campaigns_by_size", "report_campaign", "report_campaign_by_campaign"} {
		var n sql.NullInt64
		if err := s.r.QueryRowContext(ctx, `SELECT SUM(pgsize) FROM dbstat WHERE name = ?`, name).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: index size: %w", err)
		}
		out[name] = n.Int64
	}
	return out, nil
}
