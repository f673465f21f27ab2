package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/stats"
)

var _ stats.Store = (*Store)(nil)

const dayMicros = 86400 * 1000000

// StatsCounts counts the cases submitted in [from, to) for the public
// statistics in three passes: the cases' covering index by submission time
// twice (per kind, day and category; per kind and unit), then the reports
// with their place and first channel. It reads no personal data.
func (s *Store) StatsCounts(ctx context.Context, from, to time.Time) (stats.Raw, error) {
	var raw stats.Raw
	lo, hi := from.UnixMicro(), to.UnixMicro()
	const inRange = ` c.submitted_at >= ? AND c.submitted_at < ? AND c.kind IN ('PP', 'SG', 'AL') `
	fail := func(err error) (stats.Raw, error) { return stats.Raw{}, fmt.Errorf("sqlite: stats: %w", err) }

	rows, err := s.r.QueryContext(ctx, `SELECT c.kind, c.submitted_at / `+fmt.Sprint(dayMicros)+` AS d, c.category, COUNT(*)
		FROM cases c INDEXED BY cases_submitted WHERE`+inRange+`GROUP BY c.kind, d, c.category`, lo, hi)
	if err != nil {
		return fail(err)
	}
	days, cats := map[[2]any]int{}, map[[2]string]int{}
	for rows.Next() {
		var (
			kind, cat string
			d         int64
			n         int
		)
		if err := rows.Scan(&kind, &d, &cat, &n); err != nil {
			rows.Close()
			return fail(err)
		}
		days[[2]any{kind, d}] += n
		cats[[2]string{kind, cat}] += n
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	rows.Close()
	for k, n := range days {
		raw.Days = append(raw.Days, stats.Row{Kind: k[0].(string), Day: time.Unix(k[1].(int64)*86400, 0).UTC(), N: n})
	}
	for k, n := range cats {
		raw.Categories = append(raw.Categories, stats.Row{Kind: k[0], Value: k[1], N: n})
	}

	// Pre-complaints and alerts per unit, then each unit's postcode.
	postcodes := map[string]string{}
	if rows, err = s.r.QueryContext(ctx, `SELECT id, postcode FROM units`); err != nil {
		return fail(err)
	}
	for rows.Next() {
		var id, pc string
		if err := rows.Scan(&id, &pc); err != nil {
			rows.Close()
			return fail(err)
		}
		postcodes[id] = pc
	}
	rows.Close()
	if rows, err = s.r.QueryContext(ctx, `SELECT c.kind, COALESCE(c.unit_id, ''), COUNT(*)
		FROM cases c INDEXED BY cases_submitted WHERE`+inRange+`AND c.kind IN ('PP', 'AL') GROUP BY c.kind, c.unit_id`, lo, hi); err != nil {
		return fail(err)
	}
	for rows.Next() {
		var (
			r    stats.Row
			unit string
		)
		if err := rows.Scan(&r.Kind, &unit, &r.N); err != nil {
			rows.Close()
			return fail(err)
		}
		r.Value = postcodes[unit]
		raw.Places = append(raw.Places, r)
	}
	rows.Close()

	// Reports: place and first channel in one pass.
	if rows, err = s.r.QueryContext(ctx, `SELECT r.place, COALESCE(v.channel, ''), COUNT(*)
		FROM cases c INDEXED BY cases_submitted JOIN reports r ON r.case_id = c.id
		LEFT JOIN report_seen v ON v.case_id = c.id AND v.pos = 0
		WHERE`+inRange+`AND c.kind = 'SG' GROUP BY r.place, v.channel`, lo, hi); err != nil {
		return fail(err)
	}
	places, chans := map[string]int{}, map[string]int{}
	for rows.Next() {
		var (
			place, ch string
			n         int
		)
		if err := rows.Scan(&place, &ch, &n); err != nil {
			rows.Close()
			return fail(err)
		}
		places[place] += n
		chans[ch] += n
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	rows.Close()
	for p, n := range places {
		raw.Places = append(raw.Places, stats.Row{Kind: stats.KindReport, Value: p, N: n})
	}
	for c, n := range chans {
		raw.Channels = append(raw.Channels, stats.Row{Kind: stats.KindReport, Value: c, N: n})
	}
	return raw, nil
}
