package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlrow"
)

var _ report.Store = (*Store)(nil)

// Rules returns the latest version of every routing rule.
func (s *Store) Rules(ctx context.Context) ([]report.Rule, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.version, r.body::text, r.active, r.author, r.saved_at
		FROM routing_rules r
		JOIN (SELECT id, MAX(version) AS v, MIN(saved_at) AS first FROM routing_rules GROUP BY id) l
			ON l.id = r.id AND l.v = r.version
		ORDER BY l.first, r.id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: rules: %w", err)
	}
	return scanRules(rows)
}

// RuleVersions returns every version of a rule, oldest first.
func (s *Store) RuleVersions(ctx context.Context, id string) ([]report.Rule, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, version, body::text, active, author, saved_at
		FROM routing_rules WHERE id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: rule %s: %w", id, err)
	}
	out, err := scanRules(rows)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("postgres: rule %s: %w", id, guichet.ErrNotFound)
	}
	return out, err
}

func scanRules(rows pgx.Rows) ([]report.Rule, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (report.Rule, error) {
		var (
			r    report.Rule
			body string
		)
		if err := row.Scan(&r.ID, &r.Version, &body, &r.Active, &r.Author, tm(&r.SavedAt)); err != nil {
			return r, err
		}
		return r, r.SetBody([]byte(body))
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: rules: %w", err)
	}
	if out == nil {
		out = []report.Rule{}
	}
	return out, nil
}

// SaveRule stores a new version of a rule (see report.Store). Two saves
// at once of the same version: the primary key lets one in.
func (s *Store) SaveRule(ctx context.Context, r report.Rule) error {
	if r.ID == "" || r.Version < 1 {
		return fmt.Errorf("postgres: save rule: id and version are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM routing_rules WHERE id = $1`, r.ID).Scan(&latest); err != nil {
			return classify(err)
		}
		if r.Version != latest+1 {
			return fmt.Errorf("version %d after %d: %w", r.Version, latest, guichet.ErrConflict)
		}
		_, err := tx.Exec(ctx, `INSERT INTO routing_rules (id, version, body, active, author, saved_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, r.Version, string(r.Body()), r.Active, r.Author, dbTime(r.SavedAt))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: save rule %s: %w", r.ID, err)
	}
	return nil
}

// RecentReports returns reports submitted since, newest first.
func (s *Store) RecentReports(ctx context.Context, since time.Time, limit int) ([]report.Routable, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: recent reports: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.ref, c.category, COALESCE(r.place, '') FROM cases c
		LEFT JOIN reports r ON r.case_id = c.id
		WHERE c.kind = $1 AND c.submitted_at >= $2 ORDER BY c.submitted_at DESC, c.id DESC LIMIT $3`,
		string(caseref.Report), dbTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: recent reports: %w", err)
	}
	var ids []string
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (report.Routable, error) {
		var (
			r           report.Routable
			id, cat, pl string
		)
		err := row.Scan(&id, &r.Ref, &cat, &pl)
		r.Category, r.Place = report.Category(cat), report.Place(pl)
		ids = append(ids, id)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: recent reports: %w", err)
	}
	for i, id := range ids {
		if out[i].Seen, err = s.ReportSeen(ctx, id); err != nil {
			return nil, err
		}
		routes, err := s.ReportRoutes(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, rt := range routes {
			if rt.Status != report.RouteWithdrawn {
				out[i].Routes = append(out[i].Routes, rt.Service)
			}
		}
	}
	if out == nil {
		out = []report.Routable{}
	}
	return out, nil
}

// ReportRoutes returns where a report went, in service order.
func (s *Store) ReportRoutes(ctx context.Context, caseID string) ([]report.Route, error) {
	rows, err := s.pool.Query(ctx, `SELECT service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at
		FROM report_routes WHERE case_id = $1 ORDER BY service`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: report %s: routes: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (report.Route, error) {
		var (
			r               report.Route
			status, outcome string
		)
		err := row.Scan(&r.Service, &status, &r.RuleID, &r.RuleVersion, &r.WhyFR, &r.WhyEN, &r.By, &outcome, tm(&r.At))
		r.Status, r.Outcome = report.RouteStatus(status), report.Outcome(outcome)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: report %s: routes: %w", caseID, err)
	}
	if out == nil {
		out = []report.Route{}
	}
	return out, nil
}

// queueRoutes adds to b the statements writing routes (added or replaced).
func queueRoutes(b *pgx.Batch, caseID string, routes []report.Route) {
	for _, r := range routes {
		b.Queue(`INSERT INTO report_routes
			(case_id, service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (case_id, service) DO UPDATE SET status = excluded.status, rule_id = excluded.rule_id,
				rule_version = excluded.rule_version, why_fr = excluded.why_fr, why_en = excluded.why_en,
				by_actor = excluded.by_actor, outcome = excluded.outcome, at = excluded.at`,
			caseID, r.Service, string(r.Status), r.RuleID, r.RuleVersion, r.WhyFR, r.WhyEN, r.By, string(r.Outcome), dbTime(r.At))
	}
}

// routeResults reads the results of queueRoutes' statements.
func routeResults(br pgx.BatchResults, routes []report.Route) error {
	for _, r := range routes {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("route %s: %w", r.Service, classify(err))
		}
	}
	return nil
}

// ChangeRoutes applies a route change at once (see report.Store).
func (s *Store) ChangeRoutes(ctx context.Context, c report.RouteChange) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		events, err := eventRows(c.CaseID, ref, salt, c.Events)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if c.Status != "" {
			b.Queue(`UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3`, string(c.Status), dbTime(c.At), c.CaseID)
		}
		queueRoutes(b, c.CaseID, c.Routes)
		if err := queueEvents(tx, b, c.CaseID, ref, events); err != nil {
			return err
		}
		br := tx.SendBatch(ctx, b)
		err = func() error {
			if c.Status != "" {
				if _, err := br.Exec(); err != nil {
					return classify(err)
				}
			}
			if err := routeResults(br, c.Routes); err != nil {
				return err
			}
			return eventResults(br, ref, events)
		}()
		if cerr := br.Close(); err == nil && cerr != nil {
			err = classify(cerr)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: report %s: routes: %w", c.CaseID, err)
	}
	return nil
}

// reportQueueColumns are a queue row's columns after the case's.
const reportQueueColumns = `, r.lane,
	(SELECT COUNT(*) FROM report_seen v WHERE v.case_id = c.id),
	(SELECT COUNT(*) FROM report_seen v WHERE v.case_id = c.id AND v.key IS NOT NULL
		AND EXISTS (SELECT 1 FROM report_seen o WHERE o.key = v.key AND o.case_id <> c.id))`

// ReportQueue lists reports for analysts: by category priority, oldest
// first.
func (s *Store) ReportQueue(ctx context.Context, q report.QueueQuery) ([]report.QueueRow, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("postgres: report queue: limit %d: %w", q.Limit, guichet.ErrInvalid)
	}
	args := []any{string(caseref.Report)}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"c.kind = $1"}
	if len(q.Statuses) > 0 {
		st := make([]string, len(q.Statuses))
		for i, v := range q.Statuses {
			st[i] = string(v)
		}
		where = append(where, "c.status = ANY("+arg(st)+")")
	}
	if q.Category != "" {
		where = append(where, "c.category = "+arg(string(q.Category)))
	}
	if q.Lane != "" {
		where = append(where, "r.lane = "+arg(string(q.Lane)))
	}
	order := ""
	if len(q.Priority) > 0 {
		var b strings.Builder
		b.WriteString("CASE c.category")
		for _, c := range report.Categories {
			if n, ok := q.Priority[c]; ok {
				b.WriteString(" WHEN " + arg(string(c)) + " THEN " + arg(n) + "::int")
			}
		}
		b.WriteString(" ELSE 99 END, ")
		order = b.String()
	}
	lim := arg(q.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.CaseColumns+reportQueueColumns+`
		FROM cases c JOIN reports r ON r.case_id = c.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+order+`c.submitted_at, c.id LIMIT `+lim, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: report queue: %w", err)
	}
	return scanReportRows(rows)
}

// ReportsWithKey lists reports holding key, newest first.
func (s *Store) ReportsWithKey(ctx context.Context, key string, limit int) ([]report.QueueRow, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: reports with key: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.CaseColumns+reportQueueColumns+`
		FROM cases c JOIN reports r ON r.case_id = c.id
		WHERE c.id IN (SELECT case_id FROM report_seen WHERE key = $1)
		ORDER BY c.submitted_at DESC, c.id DESC LIMIT $2`, key, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: reports with key: %w", err)
	}
	return scanReportRows(rows)
}

func scanReportRows(rows pgx.Rows) ([]report.QueueRow, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (report.QueueRow, error) {
		var (
			r                  report.QueueRow
			kind, status, lane string
		)
		dest := append(sqlrow.CaseDest(&r.Case, &kind, &status), &lane, &r.Seen, &r.Links)
		err := row.Scan(dest...)
		r.Case.Kind, r.Case.Status, r.Lane = caseref.Kind(kind), casefile.Status(status), report.Lane(lane)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: reports: %w", err)
	}
	if out == nil {
		out = []report.QueueRow{}
	}
	return out, nil
}
