package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// IdempotentAnswer returns what was stored with an idempotency key.
func (s *Store) IdempotentAnswer(ctx context.Context, scope, key string) ([]byte, []byte, error) {
	var digest, answer []byte
	err := s.pool.QueryRow(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = $1 AND key = $2`, scope, key).Scan(&digest, &answer)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: idempotency key: %w", classify(err))
	}
	return digest, answer, nil
}

// ReportSources returns a report's sources and its content's count.
func (s *Store) ReportSources(ctx context.Context, caseID string) ([]report.Source, int, error) {
	rows, err := s.pool.Query(ctx, `SELECT partner_id, channel, external_id, received_at FROM report_sources WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: report %s: sources: %w", caseID, err)
	}
	defer rows.Close()
	out := []report.Source{}
	for rows.Next() {
		var x report.Source
		if err := rows.Scan(&x.PartnerID, &x.Channel, &x.ExternalID, tm(&x.ReceivedAt)); err != nil {
			return nil, 0, fmt.Errorf("postgres: report %s: sources: %w", caseID, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	n := len(out)
	var count int64
	err = s.pool.QueryRow(ctx, `SELECT count FROM report_content WHERE case_id = $1`, caseID).Scan(&count)
	switch {
	case err == nil:
		n = int(count)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, 0, fmt.Errorf("postgres: report %s: count: %w", caseID, err)
	}
	return out, n, nil
}

// PartnerChanges lists the reports partnerID is a source of with events
// in the outbox after cursor, each once (see the SQLite store). Outbox
// IDs are drawn before commit on PostgreSQL: a transaction committing
// late may hold an ID below a cursor already handed out; its report is
// listed again at its next change.
func (s *Store) PartnerChanges(ctx context.Context, partnerID string, cursor int64, limit int) ([]report.Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: partner changes: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id, c.ref FROM outbox o
		JOIN case_events e ON e.id = o.event_id
		JOIN cases c ON c.id = e.case_id
		WHERE o.id > $1 AND EXISTS (SELECT 1 FROM report_sources rs WHERE rs.case_id = e.case_id AND rs.partner_id = $2)
		ORDER BY o.id LIMIT $3`, cursor, partnerID, 4*limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: partner changes: %w", err)
	}
	defer rows.Close()
	return collectChanges(rows, limit)
}

// collectChanges keeps each reference once, up to limit of them, each
// with the highest outbox ID read up to it as its cursor.
func collectChanges(rows pgx.Rows, limit int) ([]report.Change, error) {
	out := []report.Change{}
	at := map[string]int{}
	for rows.Next() {
		var (
			id  int64
			ref string
		)
		if err := rows.Scan(&id, &ref); err != nil {
			return nil, err
		}
		if i, ok := at[ref]; ok {
			out[i].Cursor = id
			continue
		}
		if len(out) == limit {
			break
		}
		at[ref] = len(out)
		out = append(out, report.Change{Ref: ref, Cursor: id})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := 1; i < len(out); i++ {
		if out[i].Cursor < out[i-1].Cursor {
			out[i].Cursor = out[i-1].Cursor
		}
	}
	return out, nil
}
