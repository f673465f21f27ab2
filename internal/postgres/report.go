package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// SubmitReport writes a new report at once: case, secrets, sealed part,
// lane, harmonised values and events (see report.Store), in one pipeline,
// then files it in its campaign in the same transaction.
func (s *Store) SubmitReport(ctx context.Context, sub report.Submission) error {
	c := sub.Case
	if c.ID == "" || c.Ref == "" {
		return fmt.Errorf("postgres: submit report: id and ref are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error { return s.submitReportTx(ctx, tx, sub) })
	if err != nil {
		return fmt.Errorf("postgres: submit report %s: %w", c.Ref, err)
	}
	return nil
}

// submitReportTx writes a new report in tx (see SubmitReport).
func (s *Store) submitReportTx(ctx context.Context, tx pgx.Tx, sub report.Submission) error {
	c := sub.Case
	events, err := eventRows(c.ID, c.Ref, sub.Secrets.LedgerSalt, sub.Events)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	queueCaseInsert(b, c, sub.Secrets, sub.Personal)
	b.Queue(`INSERT INTO reports (case_id, lane, place) VALUES ($1, $2, $3)`, c.ID, string(sub.Lane), string(sub.Place))
	for i, v := range sub.Seen {
		b.Queue(`INSERT INTO report_seen
			(case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.ID, i, v.Channel, v.Kind, v.Input, v.Valid, v.Canonical, v.Display, v.Domain, v.Reason, nullStr(v.Key))
	}
	queueRoutes(b, c.ID, sub.Routes)
	for _, e := range sub.Evidence {
		b.Queue(`INSERT INTO evidence (id, owner_id, blob_key, content_type, size, sha256, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.ID, c.ID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(e.CreatedAt))
	}
	if err := queueEvents(tx, b, c.ID, c.Ref, events); err != nil {
		return err
	}
	br := tx.SendBatch(ctx, b)
	err = func() error {
		if err := caseInsertResults(br); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("lane: %w", classify(err))
		}
		for i := range sub.Seen {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("value %d: %w", i, classify(err))
			}
		}
		if err := routeResults(br, sub.Routes); err != nil {
			return err
		}
		for _, e := range sub.Evidence {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("evidence %s: %w", e.ID, classify(err))
			}
		}
		return eventResults(br, c.Ref, events)
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = classify(cerr)
	}
	if err != nil {
		return err
	}
	return s.link(ctx, tx, sub)
}

// ReportLane returns the lane a report entered by.
func (s *Store) ReportLane(ctx context.Context, caseID string) (report.Lane, error) {
	var lane string
	if err := s.pool.QueryRow(ctx, `SELECT lane FROM reports WHERE case_id = $1`, caseID).Scan(&lane); err != nil {
		return "", fmt.Errorf("postgres: report %s: lane: %w", caseID, classify(err))
	}
	return report.Lane(lane), nil
}

// ReportPlace returns the place a report was filed with.
func (s *Store) ReportPlace(ctx context.Context, caseID string) (report.Place, error) {
	var place string
	if err := s.pool.QueryRow(ctx, `SELECT place FROM reports WHERE case_id = $1`, caseID).Scan(&place); err != nil {
		return "", fmt.Errorf("postgres: report %s: place: %w", caseID, classify(err))
	}
	return report.Place(place), nil
}

// ReportSeen returns a report's harmonised values in the order given.
func (s *Store) ReportSeen(ctx context.Context, caseID string) ([]report.Seen, error) {
	rows, err := s.pool.Query(ctx, `SELECT channel, kind, input, valid, canonical, display, domain, reason, COALESCE(key, '')
		FROM report_seen WHERE case_id = $1 ORDER BY pos`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: report %s: values: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Seen, error) {
		var v report.Seen
		err := r.Scan(&v.Channel, &v.Kind, &v.Input, &v.Valid, &v.Canonical, &v.Display, &v.Domain, &v.Reason, &v.Key)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: report %s: values: %w", caseID, err)
	}
	if out == nil {
		out = []report.Seen{}
	}
	return out, nil
}

// SharedKeys counts, for each key, the reports other than caseID holding it.
func (s *Store) SharedKeys(ctx context.Context, caseID string, keys []string) (map[string]int, error) {
	out := map[string]int{}
	if len(keys) == 0 {
		return out, nil
	}
	// One index probe per key whatever the plan (see CampaignsHolding).
	rows, err := s.pool.Query(ctx, `SELECT key, n FROM (
			SELECT k.key, (SELECT COUNT(DISTINCT case_id) FROM report_seen s
				WHERE s.key = k.key AND s.case_id <> $1) AS n
			FROM (SELECT DISTINCT key FROM unnest($2::text[]) AS u (key)) k) t
		WHERE n > 0`, caseID, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: report %s: shared values: %w", caseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k string
			n int
		)
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("postgres: report %s: shared values: %w", caseID, err)
		}
		out[k] = n
	}
	return out, rows.Err()
}
