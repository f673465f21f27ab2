package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlrow"
)

var _ report.Store = (*Store)(nil)

// Rules returns the latest version of every routing rule.
func (s *Store) Rules(ctx context.Context) ([]report.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.id, r.version, r.body, r.active, r.author, r.saved_at
		FROM routing_rules r
		JOIN (SELECT id, MAX(version) AS v, MIN(saved_at) AS first FROM routing_rules GROUP BY id) l
			ON l.id = r.id AND l.v = r.version
		ORDER BY l.first, r.id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rules: %w", err)
	}
	return scanRules(rows)
}

// RuleVersions returns every version of a rule, oldest first.
func (s *Store) RuleVersions(ctx context.Context, id string) ([]report.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, version, body, active, author, saved_at
		FROM routing_rules WHERE id = ? ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rule %s: %w", id, err)
	}
	out, err := scanRules(rows)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("sqlite: rule %s: %w", id, guichet.ErrNotFound)
	}
	return out, err
}

func scanRules(rows *sql.Rows) ([]report.Rule, error) {
	defer rows.Close()
	out := []report.Rule{}
	for rows.Next() {
		var (
			r      report.Rule
			body   string
			active int
		)
		if err := rows.Scan(&r.ID, &r.Version, &body, &active, &r.Author, tm(&r.SavedAt)); err != nil {
			return nil, fmt.Errorf("sqlite: rules: %w", err)
		}
		r.Active = active == 1
		if err := r.SetBody([]byte(body)); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: rules: %w", err)
	}
	return out, nil
}

// SaveRule stores a new version of a rule (see report.Store).
func (s *Store) SaveRule(ctx context.Context, r report.Rule) error {
	if r.ID == "" || r.Version < 1 {
		return fmt.Errorf("sqlite: save rule: id and version are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM routing_rules WHERE id = ?`, r.ID).Scan(&latest); err != nil {
			return err
		}
		if r.Version != latest+1 {
			return fmt.Errorf("version %d after %d: %w", r.Version, latest, guichet.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO routing_rules (id, version, body, active, author, saved_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ID, r.Version, string(r.Body()), boolInt(r.Active), r.Author, dbTime(norm(r.SavedAt)))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: save rule %s: %w", r.ID, err)
	}
	return nil
}

// RecentReports returns reports submitted since, newest first.
func (s *Store) RecentReports(ctx context.Context, since time.Time, limit int) ([]report.Routable, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: recent reports: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.ref, c.category, COALESCE(r.place, '') FROM cases c
		LEFT JOIN reports r ON r.case_id = c.id
		WHERE c.kind = ? AND c.submitted_at >= ? ORDER BY c.submitted_at DESC, c.id DESC LIMIT ?`,
		string(caseref.Report), norm(since).UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: recent reports: %w", err)
	}
	var (
		out []report.Routable
		ids []string
	)
	for rows.Next() {
		var (
			r   report.Routable
			id  string
			cat string
			pl  string
		)
		if err := rows.Scan(&id, &r.Ref, &cat, &pl); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: recent reports: %w", err)
		}
		r.Category, r.Place = report.Category(cat), report.Place(pl)
		out = append(out, r)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: recent reports: %w", err)
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
	rows, err := s.r.QueryContext(ctx, `SELECT service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at
		FROM report_routes WHERE case_id = ? ORDER BY service`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: report %s: routes: %w", caseID, err)
	}
	defer rows.Close()
	out := []report.Route{}
	for rows.Next() {
		var (
			r               report.Route
			status, outcome string
		)
		if err := rows.Scan(&r.Service, &status, &r.RuleID, &r.RuleVersion, &r.WhyFR, &r.WhyEN, &r.By, &outcome, tm(&r.At)); err != nil {
			return nil, fmt.Errorf("sqlite: report %s: routes: %w", caseID, err)
		}
		r.Status, r.Outcome = report.RouteStatus(status), report.Outcome(outcome)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) writeRoutes(ctx context.Context, tx *sql.Tx, caseID string, routes []report.Route) error {
	for _, r := range routes {
		if _, err := s.exec(ctx, tx, qUpsertRoute,
			caseID, r.Service, string(r.Status), r.RuleID, r.RuleVersion, r.WhyFR, r.WhyEN, r.By, string(r.Outcome), dbTime(norm(r.At))); err != nil {
			return fmt.Errorf("route %s: %w", r.Service, classify(err))
		}
	}
	return nil
}

// ChangeRoutes applies a route change at once (see report.Store).
func (s *Store) ChangeRoutes(ctx context.Context, c report.RouteChange) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		if c.Status != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`,
				string(c.Status), dbTime(norm(c.At)), c.CaseID); err != nil {
				return classify(err)
			}
		}
		if err := s.writeRoutes(ctx, tx, c.CaseID, c.Routes); err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, c.CaseID, ref, salt, c.Events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: report %s: routes: %w", c.CaseID, err)
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
		return nil, fmt.Errorf("sqlite: report queue: limit %d: %w", q.Limit, guichet.ErrInvalid)
	}
	where := []string{"c.kind = ?"}
	args := []any{string(caseref.Report)}
	if len(q.Statuses) > 0 {
		where = append(where, "c.status IN ("+marks(len(q.Statuses))+")")
		for _, st := range q.Statuses {
			args = append(args, string(st))
		}
	}
	if q.Category != "" {
		where = append(where, "c.category = ?")
		args = append(args, string(q.Category))
	}
	if q.Lane != "" {
		where = append(where, "r.lane = ?")
		args = append(args, string(q.Lane))
	}
	order, oargs := priorityOrder(q.Priority)
	args = append(args, oargs...)
	args = append(args, q.Limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.CaseColumns+reportQueueColumns+`
		FROM cases c JOIN reports r ON r.case_id = c.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+order+`c.submitted_at, c.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: report queue: %w", err)
	}
	return scanReportRows(rows)
}

// priorityOrder is the ORDER BY term putting categories by priority.
func priorityOrder(p map[report.Category]int) (string, []any) {
	if len(p) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("CASE c.category")
	args := make([]any, 0, 2*len(p))
	for _, c := range report.Categories {
		if n, ok := p[c]; ok {
			b.WriteString(" WHEN ? THEN ?")
			args = append(args, string(c), n)
		}
	}
	b.WriteString(" ELSE 99 END, ")
	return b.String(), args
}

// ReportsWithKey lists reports holding key, newest first.
func (s *Store) ReportsWithKey(ctx context.Context, key string, limit int) ([]report.QueueRow, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: reports with key: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.CaseColumns+reportQueueColumns+`
		FROM cases c JOIN reports r ON r.case_id = c.id
		WHERE c.id IN (SELECT case_id FROM report_seen WHERE key = ?)
		ORDER BY c.submitted_at DESC, c.id DESC LIMIT ?`, key, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: reports with key: %w", err)
	}
	return scanReportRows(rows)
}

func scanReportRows(rows *sql.Rows) ([]report.QueueRow, error) {
	defer rows.Close()
	out := []report.QueueRow{}
	for rows.Next() {
		var (
			r                  report.QueueRow
			kind, status, lane string
		)
		dest := append(sqlrow.CaseDest(&r.Case, &kind, &status), &lane, &r.Seen, &r.Links)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlite: reports: %w", err)
		}
		r.Case.Kind, r.Case.Status, r.Lane = caseref.Kind(kind), casefile.Status(status), report.Lane(lane)
		out = append(out, r)
	}
	return out, rows.Err()
}
