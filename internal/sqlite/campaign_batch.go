package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// A campaign read in batches, for bulk actions, and its timeline and
// routing.

// CampaignBatch returns the reports of a campaign after a cursor, with
// their routes and keys, in one read transaction.
func (s *Store) CampaignBatch(ctx context.Context, id string, after report.BatchCursor, limit int) ([]report.BatchReport, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: campaign batch: limit %d: %w", limit, guichet.ErrInvalid)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch: %w", id, err)
	}
	defer tx.Rollback()
	var from int64 = math.MinInt64
	if !after.SubmittedAt.IsZero() {
		from = norm(after.SubmittedAt).UnixMicro()
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.ref, c.status, c.submitted_at
		FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = ? AND (c.submitted_at > ? OR (c.submitted_at = ? AND c.id > ?))
		ORDER BY c.submitted_at, c.id LIMIT ?`, id, from, from, after.CaseID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch: %w", id, err)
	}
	out := []report.BatchReport{}
	at := map[string]int{}
	for rows.Next() {
		var (
			b   report.BatchReport
			sta string
		)
		if err := rows.Scan(&b.CaseID, &b.Ref, &sta, tm(&b.SubmittedAt)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: campaign %s: batch: %w", id, err)
		}
		b.Status, b.Routes, b.Keys = casefile.Status(sta), []report.Route{}, []string{}
		at[b.CaseID] = len(out)
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch: %w", id, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, len(out))
	for i, b := range out {
		ids[i] = b.CaseID
	}
	rows, err = tx.QueryContext(ctx, `SELECT case_id, service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at
		FROM report_routes WHERE case_id IN (`+marks(len(ids))+`) ORDER BY case_id, service`, ids...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch routes: %w", id, err)
	}
	for rows.Next() {
		var (
			caseID, status, outcome string
			r                       report.Route
		)
		if err := rows.Scan(&caseID, &r.Service, &status, &r.RuleID, &r.RuleVersion, &r.WhyFR, &r.WhyEN, &r.By, &outcome, tm(&r.At)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: campaign %s: batch routes: %w", id, err)
		}
		r.Status, r.Outcome = report.RouteStatus(status), report.Outcome(outcome)
		b := &out[at[caseID]]
		b.Routes = append(b.Routes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch routes: %w", id, err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT DISTINCT case_id, key FROM report_seen
		WHERE case_id IN (`+marks(len(ids))+`) AND key IS NOT NULL ORDER BY case_id, key`, ids...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch keys: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var caseID, key string
		if err := rows.Scan(&caseID, &key); err != nil {
			return nil, fmt.Errorf("sqlite: campaign %s: batch keys: %w", id, err)
		}
		b := &out[at[caseID]]
		b.Keys = append(b.Keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: batch keys: %w", id, err)
	}
	return out, nil
}

// splitServices reads the services a query aggregated ("cyber,spam"),
// sorted.
func splitServices(s sql.NullString) []string {
	if !s.Valid || s.String == "" {
		return []string{}
	}
	out := strings.Split(s.String, ",")
	slices.Sort(out)
	return out
}

// microsPerDay is a day in the unit submitted_at is stored in.
const microsPerDay = int64(24 * time.Hour / time.Microsecond)
