package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
	const seq = `WITH RECURSIVE seq (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?) `
	base, step := start.UnixMicro(), max(span.Microseconds()/int64(max(n, 1)), 1)
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := refuseCases(ctx, tx); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{seq + `INSERT INTO cases (id, ref, kind, category, status, created_at, submitted_at, updated_at)
				SELECT printf('vbench-%010d', i), printf('SG-VBENCH-%010d', i), 'SG', 'phishing', 'submitted',
					? + i * ?, ? + i * ?, ? + i * ? FROM seq`, []any{n, base, step, base, step, base, step}},
			{seq + `INSERT INTO reports (case_id, lane) SELECT printf('vbench-%010d', i), 'normal' FROM seq`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('vbench-%010d', i), 0, 'phone', 'phone', printf('+336%08d', i), 1, printf('+336%08d', i),
					printf('+336%08d', i), '', '', printf('phone:+336%08d', i) FROM seq`, []any{n}},
			{seq + `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT printf('vbench-%010d', i), 1, 'url', 'url', printf('https://scam-%d.example/', i / 8), 1, printf('https://scam-%d.example/', i / 8),
					printf('https://scam-%d.example/', i / 8), printf('scam-%d.example', i / 8), '', printf('url:https://scam-%d.example/', i / 8) FROM seq`, []any{n}},
			{seq + `INSERT INTO indicator_keys (key, degree, published_by, published_at)
				SELECT printf('phone:+336%08d', i), 1, 'bench', ? FROM seq`, []any{n, base}},
			{`INSERT INTO indicator_keys (key, degree, published_by, published_at)
				SELECT key, COUNT(*), 'bench', ? FROM report_seen WHERE pos = 1 GROUP BY key`, []any{base}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `ANALYZE`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: synthetic published keys: %w", err)
	}
	return nil
}

// GenerateSyntheticCases fills a database holding no case with n synthetic
// cases submitted evenly over span from start: seven in ten reports (in
// every category, channel and département), three in ten pre-complaints
// at the units given (in every category), one in five hundred a silent
// alert. Nothing else is written. It is for guichet bench stats only and
// MUST NOT run on a real database (it refuses one that holds cases).
func (s *Store) GenerateSyntheticCases(ctx context.Context, n int, start time.Time, span time.Duration, unitIDs []string) error {
	if len(unitIDs) == 0 {
		return fmt.Errorf("sqlite: synthetic cases: no unit: %w", guichet.ErrInvalid)
	}
	const seq = `WITH RECURSIVE seq (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?) `
	base, step := start.UnixMicro(), max(span.Microseconds()/int64(max(n, 1)), 1)
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := refuseCases(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE bench_units (n INTEGER PRIMARY KEY, id TEXT NOT NULL)`); err != nil {
			return err
		}
		for i, id := range unitIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO bench_units (n, id) VALUES (?, ?)`, i, id); err != nil {
				return err
			}
		}
		kind := `CASE WHEN i % 500 = 0 THEN 'AL' WHEN i % 10 < 3 THEN 'PP' ELSE 'SG' END`
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{seq + `INSERT INTO cases (id, ref, kind, category, status, unit_id, created_at, submitted_at, updated_at)
				SELECT printf('sbench-%010d', i), printf('XX-SBENCH-%010d', i), ` + kind + `,
					CASE ` + kind + `
						WHEN 'PP' THEN json_extract('["theft","vehicle_theft","burglary","damage","fraud"]', printf('$[%d]', i % 5))
						WHEN 'AL' THEN json_extract('["assault","intrusion","domestic_violence","harassment","other"]', printf('$[%d]', (i / 500) % 5))
						ELSE json_extract('["phishing","fake_shop","investment","fake_adviser","romance","hate","threats","spam","other"]', printf('$[%d]', i % 9)) END,
					'submitted', CASE WHEN ` + kind + ` = 'SG' THEN NULL ELSE (SELECT id FROM bench_units WHERE n = i % ?) END,
					? + i * ?, ? + i * ?, ? + i * ? FROM seq`, []any{n, len(unitIDs), base, step, base, step, base, step}},
			{`INSERT INTO reports (case_id, lane, place)
				SELECT id, 'normal', CASE WHEN CAST(substr(id, 8) AS INTEGER) % 50 = 0 THEN 'abroad'
					WHEN CAST(substr(id, 8) AS INTEGER) % 50 = 1 THEN ''
					ELSE printf('%02d', 1 + CAST(substr(id, 8) AS INTEGER) % 19) END
				FROM cases WHERE kind = 'SG' AND id LIKE 'sbench-%'`, nil},
			{`INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				SELECT case_id, 0, json_extract('["url","sms","phone","email","account","iban","crypto"]', printf('$[%d]', CAST(substr(case_id, 8) AS INTEGER) % 7)),
					'unknown', 'bench', 0, '', '', '', 'bench', NULL FROM reports WHERE case_id LIKE 'sbench-%'`, nil},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE bench_units`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ANALYZE`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: synthetic cases: %w", err)
	}
	return nil
}

func refuseCases(ctx context.Context, tx *sql.Tx) error {
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases LIMIT 1)`).Scan(&held); err != nil {
		return err
	}
	if held > 0 {
		return fmt.Errorf("the database holds cases: %w", guichet.ErrConflict)
	}
	return nil
}

// KeyDegree reads one key's degree by primary key, nothing else: the
// floor guichet bench verifier measures the checker against.
func (s *Store) KeyDegree(ctx context.Context, key string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT degree FROM indicator_keys WHERE key = ?`, key).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return n, err
}
