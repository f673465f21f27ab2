package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// IdempotentAnswer returns what was stored with an idempotency key.
func (s *Store) IdempotentAnswer(ctx context.Context, scope, key string) ([]byte, []byte, error) {
	var digest, answer []byte
	err := s.r.QueryRowContext(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = ? AND key = ?`, scope, key).Scan(&digest, &answer)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: idempotency key: %w", notFound(err))
	}
	return digest, answer, nil
}

// ReportSources returns a report's sources and its content's count.
func (s *Store) ReportSources(ctx context.Context, caseID string) ([]report.Source, int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT partner_id, channel, external_id, received_at FROM report_sources WHERE case_id = ? ORDER BY seq`, caseID)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: report %s: sources: %w", caseID, err)
	}
	defer rows.Close()
	out := []report.Source{}
	for rows.Next() {
		var x report.Source
		if err := rows.Scan(&x.PartnerID, &x.Channel, &x.ExternalID, tm(&x.ReceivedAt)); err != nil {
			return nil, 0, fmt.Errorf("sqlite: report %s: sources: %w", caseID, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	n := len(out)
	err = s.r.QueryRowContext(ctx, `SELECT count FROM report_content WHERE case_id = ?`, caseID).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("sqlite: report %s: count: %w", caseID, err)
	}
	return out, n, nil
}

// PartnerChanges lists the reports partnerID is a source of with events
// logged after cursor (an outbox ID), each once, in the order of their
// first such event; a page reads at most 4×limit events.
func (s *Store) PartnerChanges(ctx context.Context, partnerID string, cursor int64, limit int) ([]report.Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: partner changes: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, c.ref FROM outbox o
		JOIN case_events e ON e.id = o.event_id
		JOIN cases c ON c.id = e.case_id
		WHERE o.id > ? AND EXISTS (SELECT 1 FROM report_sources rs WHERE rs.case_id = e.case_id AND rs.partner_id = ?)
		ORDER BY o.id LIMIT ?`, cursor, partnerID, 4*limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: partner changes: %w", err)
	}
	defer rows.Close()
	return collectChanges(rows, limit)
}

// collectChanges keeps each reference once, up to limit of them; the
// cursor of each is the last outbox ID read before the next one.
func collectChanges(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, limit int) ([]report.Change, error) {
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
	// Each change's cursor is where the page ends once it is read: the
	// highest ID seen up to and including it.
	for i := 1; i < len(out); i++ {
		if out[i].Cursor < out[i-1].Cursor {
			out[i].Cursor = out[i-1].Cursor
		}
	}
	return out, nil
}
