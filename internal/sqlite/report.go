package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// SubmitReport writes a new report at once: case, secrets, sealed part,
// lane, harmonised values, its place in a campaign and events (see
// report.Store).
func (s *Store) SubmitReport(ctx context.Context, sub report.Submission) error {
	c := sub.Case
	if c.ID == "" || c.Ref == "" {
		return fmt.Errorf("sqlite: submit report: id and ref are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error { return s.submitReportTx(ctx, tx, sub) })
	if err != nil {
		return fmt.Errorf("sqlite: submit report %s: %w", c.Ref, err)
	}
	return nil
}

// submitReportTx writes a new report in tx (see SubmitReport).
func (s *Store) submitReportTx(ctx context.Context, tx *sql.Tx, sub report.Submission) error {
	c := sub.Case
	if err := s.insertCase(ctx, tx, c, sub.Secrets, sub.Personal); err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, qInsertReport, c.ID, string(sub.Lane), string(sub.Place)); err != nil {
		return fmt.Errorf("lane: %w", classify(err))
	}
	for i, v := range sub.Seen {
		if _, err := s.exec(ctx, tx, qInsertSeen,
			c.ID, i, v.Channel, v.Kind, v.Input, boolInt(v.Valid), v.Canonical, v.Display, v.Domain, v.Reason, nullStr(v.Key)); err != nil {
			return fmt.Errorf("value %d: %w", i, classify(err))
		}
	}
	if err := s.writeRoutes(ctx, tx, c.ID, sub.Routes); err != nil {
		return err
	}
	for _, e := range sub.Evidence {
		if _, err := tx.ExecContext(ctx, `INSERT INTO evidence (id, owner_id, blob_key, content_type, size, sha256, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, c.ID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(norm(e.CreatedAt))); err != nil {
			return fmt.Errorf("evidence %s: %w", e.ID, classify(err))
		}
	}
	if err := s.link(ctx, tx, sub); err != nil {
		return err
	}
	return s.writeEvents(ctx, tx, c.ID, c.Ref, sub.Secrets.LedgerSalt, sub.Events)
}

// ReportLane returns the lane a report entered by.
func (s *Store) ReportLane(ctx context.Context, caseID string) (report.Lane, error) {
	var lane string
	err := s.r.QueryRowContext(ctx, `SELECT lane FROM reports WHERE case_id = ?`, caseID).Scan(&lane)
	if err != nil {
		return "", fmt.Errorf("sqlite: report %s: lane: %w", caseID, notFound(err))
	}
	return report.Lane(lane), nil
}

// ReportPlace returns the place a report was filed with.
func (s *Store) ReportPlace(ctx context.Context, caseID string) (report.Place, error) {
	var place string
	err := s.r.QueryRowContext(ctx, `SELECT place FROM reports WHERE case_id = ?`, caseID).Scan(&place)
	if err != nil {
		return "", fmt.Errorf("sqlite: report %s: place: %w", caseID, notFound(err))
	}
	return report.Place(place), nil
}

// ReportSeen returns a report's harmonised values in the order given.
func (s *Store) ReportSeen(ctx context.Context, caseID string) ([]report.Seen, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT channel, kind, input, valid, canonical, display, domain, reason, COALESCE(key, '')
		FROM report_seen WHERE case_id = ? ORDER BY pos`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: report %s: values: %w", caseID, err)
	}
	defer rows.Close()
	out := []report.Seen{}
	for rows.Next() {
		var (
			v     report.Seen
			valid int
		)
		if err := rows.Scan(&v.Channel, &v.Kind, &v.Input, &valid, &v.Canonical, &v.Display, &v.Domain, &v.Reason, &v.Key); err != nil {
			return nil, fmt.Errorf("sqlite: report %s: values: %w", caseID, err)
		}
		v.Valid = valid == 1
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: report %s: values: %w", caseID, err)
	}
	return out, nil
}

// SharedKeys counts, for each key, the reports other than caseID holding it.
func (s *Store) SharedKeys(ctx context.Context, caseID string, keys []string) (map[string]int, error) {
	out := map[string]int{}
	for _, k := range keys {
		if _, done := out[k]; done {
			continue
		}
		var n int
		if err := s.readRow(ctx, qSharedKey, k, caseID).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: report %s: shared values: %w", caseID, err)
		}
		out[k] = n
	}
	for k, n := range out {
		if n == 0 {
			delete(out, k)
		}
	}
	return out, nil
}
