package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/stats"
)

var _ stats.Store = (*Store)(nil)

// StatsCounts counts the cases submitted in [from, to) for the public
// statistics; it reads no personal data.
func (s *Store) StatsCounts(ctx context.Context, from, to time.Time) (stats.Raw, error) {
	var raw stats.Raw
	const inRange = ` c.submitted_at >= $1 AND c.submitted_at < $2 AND c.kind IN ('PP', 'SG', 'AL') `
	for _, q := range []struct {
		sql  string
		into *[]stats.Row
		day  bool
	}{
		{`SELECT c.kind, floor(extract(epoch FROM c.submitted_at) / 86400)::bigint AS d, COUNT(*) FROM cases c WHERE` + inRange + `GROUP BY c.kind, d`, &raw.Days, true},
		{`SELECT c.kind, c.category, COUNT(*) FROM cases c WHERE` + inRange + `GROUP BY c.kind, c.category`, &raw.Categories, false},
		{`SELECT 'SG', COALESCE(v.channel, ''), COUNT(*) FROM cases c
			LEFT JOIN report_seen v ON v.case_id = c.id AND v.pos = 0
			WHERE` + inRange + `AND c.kind = 'SG' GROUP BY 2`, &raw.Channels, false},
		{`SELECT 'SG', r.place, COUNT(*) FROM cases c JOIN reports r ON r.case_id = c.id
			WHERE` + inRange + `AND c.kind = 'SG' GROUP BY r.place`, &raw.Places, false},
		{`SELECT c.kind, COALESCE(u.postcode, ''), COUNT(*) FROM cases c LEFT JOIN units u ON u.id = c.unit_id
			WHERE` + inRange + `AND c.kind IN ('PP', 'AL') GROUP BY c.kind, u.postcode`, &raw.Places, false},
	} {
		rows, err := s.pool.Query(ctx, q.sql, from, to)
		if err != nil {
			return stats.Raw{}, fmt.Errorf("postgres: stats: %w", err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stats.Row, error) {
			var (
				row stats.Row
				d   int64
				n   int64
			)
			if q.day {
				err := r.Scan(&row.Kind, &d, &n)
				row.Day, row.N = time.Unix(d*86400, 0).UTC(), int(n)
				return row, err
			}
			err := r.Scan(&row.Kind, &row.Value, &n)
			row.N = int(n)
			return row, err
		})
		if err != nil {
			return stats.Raw{}, fmt.Errorf("postgres: stats: %w", err)
		}
		*q.into = append(*q.into, got...)
	}
	return raw, nil
}
