package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// CampaignBatch returns the reports of a campaign after a cursor, with
// their routes and keys, in one read-only snapshot.
func (s *Store) CampaignBatch(ctx context.Context, id string, after report.BatchCursor, limit int) ([]report.BatchReport, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: campaign batch: limit %d: %w", limit, guichet.ErrInvalid)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch: %w", id, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var from *time.Time
	if !after.SubmittedAt.IsZero() {
		t := after.SubmittedAt.UTC()
		from = &t
	}
	rows, err := tx.Query(ctx, `SELECT c.id, c.ref, c.status, c.submitted_at
		FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = $1 AND ($2::timestamptz IS NULL OR (c.submitted_at, c.id) > ($2::timestamptz, $3::text))
		ORDER BY c.submitted_at, c.id LIMIT $4`, id, from, after.CaseID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.BatchReport, error) {
		var (
			b   report.BatchReport
			sta string
		)
		err := r.Scan(&b.CaseID, &b.Ref, &sta, tm(&b.SubmittedAt))
		b.Status, b.Routes, b.Keys = casefile.Status(sta), []report.Route{}, []string{}
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch: %w", id, err)
	}
	if len(out) == 0 {
		return []report.BatchReport{}, nil
	}
	ids := make([]string, len(out))
	at := make(map[string]int, len(out))
	for i, b := range out {
		ids[i], at[b.CaseID] = b.CaseID, i
	}
	rows, err = tx.Query(ctx, `SELECT case_id, service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at
		FROM report_routes WHERE case_id = ANY($1) ORDER BY case_id, service`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch routes: %w", id, err)
	}
	for rows.Next() {
		var (
			caseID, status, outcome string
			r                       report.Route
		)
		if err := rows.Scan(&caseID, &r.Service, &status, &r.RuleID, &r.RuleVersion, &r.WhyFR, &r.WhyEN, &r.By, &outcome, tm(&r.At)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: campaign %s: batch routes: %w", id, err)
		}
		r.Status, r.Outcome = report.RouteStatus(status), report.Outcome(outcome)
		b := &out[at[caseID]]
		b.Routes = append(b.Routes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch routes: %w", id, err)
	}
	rows, err = tx.Query(ctx, `SELECT DISTINCT case_id, key FROM report_seen
		WHERE case_id = ANY($1) AND key IS NOT NULL ORDER BY case_id, key`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch keys: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var caseID, key string
		if err := rows.Scan(&caseID, &key); err != nil {
			return nil, fmt.Errorf("postgres: campaign %s: batch keys: %w", id, err)
		}
		b := &out[at[caseID]]
		b.Keys = append(b.Keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: batch keys: %w", id, err)
	}
	return out, nil
}

// campaignDays counts a campaign's reports per UTC day of submission.
func (s *Store) campaignDays(ctx context.Context, id string) ([]report.DayCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT floor(extract(epoch FROM c.submitted_at) / 86400)::bigint AS d, COUNT(*)
		FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = $1 AND c.submitted_at IS NOT NULL GROUP BY d ORDER BY d`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: days: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.DayCount, error) {
		var (
			d  int64
			dc report.DayCount
		)
		err := r.Scan(&d, &dc.Reports)
		dc.Day = time.Unix(d*86400, 0).UTC()
		return dc, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: days: %w", id, err)
	}
	if out == nil {
		out = []report.DayCount{}
	}
	return out, nil
}
