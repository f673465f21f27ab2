package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/stats"
)

var _ stats.Store = (*Store)(nil)

const dayMicros = 86400 * 1000000

// StatsCounts counts the cases submitted in [from, to) for the public
// statistics; it reads no personal data.
func (s *Store) StatsCounts(ctx context.Context, from, to time.Time) (stats.Raw, error) {
	var raw stats.Raw
	lo, hi := from.UnixMicro(), to.UnixMicro()
	const inRange = ` c.submitted_at >= ? AND c.submitted_at < ? AND c.kind IN ('PP', 'SG', 'AL') `
	for _, q := range []struct {
		sql  string
		into *[]stats.Row
		day  bool
	}{
		{`SELECT c.kind, c.submitted_at / ` + fmt.Sprint(dayMicros) + ` AS d, COUNT(*) FROM cases c INDEXED BY cases_submitted WHERE` + inRange + `GROUP BY c.kind, d`, &raw.Days, true},
		{`SELECT c.kind, c.category, COUNT(*) FROM cases c INDEXED BY cases_submitted WHERE` + inRange + `GROUP BY c.kind, c.category`, &raw.Categories, false},
		{`SELECT 'SG', COALESCE(v.channel, ''), COUNT(*) FROM cases c INDEXED BY cases_submitted
			LEFT JOIN report_seen v ON v.case_id = c.id AND v.pos = 0
			WHERE` + inRange + `AND c.kind = 'SG' GROUP BY 2`, &raw.Channels, false},
		{`SELECT 'SG', r.place, COUNT(*) FROM cases c INDEXED BY cases_submitted JOIN reports r ON r.case_id = c.id
			WHERE` + inRange + `AND c.kind = 'SG' GROUP BY r.place`, &raw.Places, false},
		{`SELECT c.kind, COALESCE(u.postcode, ''), COUNT(*) FROM cases c INDEXED BY cases_submitted LEFT JOIN units u ON u.id = c.unit_id
			WHERE` + inRange + `AND c.kind IN ('PP', 'AL') GROUP BY c.kind, u.postcode`, &raw.Places, false},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, lo, hi)
		if err != nil {
			return stats.Raw{}, fmt.Errorf("sqlite: stats: %w", err)
		}
		if err := scanStatRows(rows, q.into, q.day); err != nil {
			return stats.Raw{}, fmt.Errorf("sqlite: stats: %w", err)
		}
	}
	return raw, nil
}

func scanStatRows(rows *sql.Rows, into *[]stats.Row, day bool) error {
	defer rows.Close()
	for rows.Next() {
		var (
			r stats.Row
			d int64
		)
		var err error
		if day {
			err = rows.Scan(&r.Kind, &d, &r.N)
			r.Day = time.Unix(d*86400, 0).UTC()
		} else {
			err = rows.Scan(&r.Kind, &r.Value, &r.N)
		}
		if err != nil {
			return err
		}
		*into = append(*into, r)
	}
	return rows.Err()
}
