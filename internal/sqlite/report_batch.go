package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// remintAttempts bounds how many references one entry draws.
const remintAttempts = 8

// SubmitReports writes a batch of partner reports in one transaction (see
// report.BatchStore).
func (s *Store) SubmitReports(ctx context.Context, b report.Batch) ([]report.BatchFiled, error) {
	var out []report.BatchFiled
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		out = make([]report.BatchFiled, 0, len(b.Entries))
		if b.Idem != nil {
			var digest, answer []byte
			err := tx.QueryRowContext(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = ? AND key = ?`, b.Idem.Scope, b.Idem.Key).Scan(&digest, &answer)
			if err == nil {
				return &report.ReplayError{Digest: digest, Answer: answer}
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return classify(err)
			}
		}
		for i, e := range b.Entries {
			f, err := s.submitEntry(ctx, tx, e)
			if err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
			out = append(out, f)
		}
		if b.Idem != nil {
			answer, err := b.Idem.Answer(out)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_idempotency (scope, key, digest, answer, created_at) VALUES (?, ?, ?, ?, ?)`,
				b.Idem.Scope, b.Idem.Key, b.Idem.Digest, answer, dbTime(norm(b.Idem.At))); err != nil {
				return fmt.Errorf("idempotency key: %w", classify(err))
			}
		}
		return nil
	})
	if err != nil {
		var re *report.ReplayError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("sqlite: submit %d reports: %w", len(b.Entries), err)
	}
	return out, nil
}

func (s *Store) submitEntry(ctx context.Context, tx *sql.Tx, e report.BatchEntry) (report.BatchFiled, error) {
	src := e.Source
	if e.ContentKey != "" {
		var f report.BatchFiled
		err := tx.QueryRowContext(ctx, `SELECT r.case_id, c.ref, r.count FROM report_content r JOIN cases c ON c.id = r.case_id WHERE r.content_key = ?`,
			e.ContentKey).Scan(&f.CaseID, &f.Ref, &f.Count)
		switch {
		case err == nil:
			f.Duplicate = true
			f.Count++
			if _, err := tx.ExecContext(ctx, `UPDATE report_content SET count = count + 1, last_at = MAX(last_at, ?) WHERE content_key = ?`,
				dbTime(norm(src.ReceivedAt)), e.ContentKey); err != nil {
				return f, classify(err)
			}
			return f, insertSource(ctx, tx, f.CaseID, src)
		case !errors.Is(err, sql.ErrNoRows):
			return f, classify(err)
		}
	}
	sub := e.Sub
	if sub.Case.ID == "" || sub.Case.Ref == "" {
		return report.BatchFiled{}, fmt.Errorf("id and ref are required: %w", guichet.ErrInvalid)
	}
	for attempt := 0; ; attempt++ {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM cases WHERE ref = ?`, sub.Case.Ref).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return report.BatchFiled{}, classify(err)
		}
		if attempt == remintAttempts || e.Remint == nil {
			return report.BatchFiled{}, fmt.Errorf("reference %s taken: %w", sub.Case.Ref, guichet.ErrConflict)
		}
		if sub.Case.Ref, err = e.Remint(); err != nil {
			return report.BatchFiled{}, err
		}
	}
	if err := s.submitReportTx(ctx, tx, sub); err != nil {
		return report.BatchFiled{}, err
	}
	if e.ContentKey != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_content (content_key, case_id, count, last_at) VALUES (?, ?, 1, ?)`,
			e.ContentKey, sub.Case.ID, dbTime(norm(src.ReceivedAt))); err != nil {
			return report.BatchFiled{}, fmt.Errorf("content: %w", classify(err))
		}
	}
	if err := insertSource(ctx, tx, sub.Case.ID, src); err != nil {
		return report.BatchFiled{}, err
	}
	return report.BatchFiled{CaseID: sub.Case.ID, Ref: sub.Case.Ref, Count: 1}, nil
}

func insertSource(ctx context.Context, tx *sql.Tx, caseID string, src report.Source) error {
	if src.PartnerID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO report_sources (case_id, seq, partner_id, channel, external_id, received_at)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM report_sources WHERE case_id = ?), ?, ?, ?, ?)`,
		caseID, caseID, src.PartnerID, src.Channel, src.ExternalID, dbTime(norm(src.ReceivedAt)))
	if err != nil {
		return fmt.Errorf("source: %w", classify(err))
	}
	return nil
}

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
