package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// remintAttempts bounds how many references one entry draws.
const remintAttempts = 8

// SubmitReports writes a batch of partner reports in one transaction (see
// report.BatchStore). A transaction-scoped advisory lock on each content
// key serialises the batches holding it across nodes, so that two
// batches never both file the same content as new.
func (s *Store) SubmitReports(ctx context.Context, b report.Batch) ([]report.BatchFiled, error) {
	var out []report.BatchFiled
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		out = make([]report.BatchFiled, 0, len(b.Entries))
		if b.Idem != nil {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 14))`, b.Idem.Scope+" "+b.Idem.Key); err != nil {
				return classify(err)
			}
			var digest, answer []byte
			err := tx.QueryRow(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = $1 AND key = $2`, b.Idem.Scope, b.Idem.Key).Scan(&digest, &answer)
			if err == nil {
				return &report.ReplayError{Digest: digest, Answer: answer}
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return classify(err)
			}
		}
		// Lock the content keys in a fixed order (no deadlock between
		// batches sharing keys), in one statement.
		var keys []string
		for _, e := range b.Entries {
			if e.ContentKey != "" {
				keys = append(keys, e.ContentKey)
			}
		}
		if len(keys) > 0 {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(k, 15)) FROM (SELECT DISTINCT unnest($1::text[]) AS k ORDER BY 1) ks`, keys); err != nil {
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
			if _, err := tx.Exec(ctx, `INSERT INTO api_idempotency (scope, key, digest, answer, created_at) VALUES ($1, $2, $3, $4, $5)`,
				b.Idem.Scope, b.Idem.Key, b.Idem.Digest, answer, dbTime(b.Idem.At)); err != nil {
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
		return nil, fmt.Errorf("postgres: submit %d reports: %w", len(b.Entries), err)
	}
	return out, nil
}

func (s *Store) submitEntry(ctx context.Context, tx pgx.Tx, e report.BatchEntry) (report.BatchFiled, error) {
	src := e.Source
	if e.ContentKey != "" {
		var f report.BatchFiled
		err := tx.QueryRow(ctx, `UPDATE report_content r SET count = count + 1, last_at = GREATEST(last_at, $2)
			FROM cases c WHERE c.id = r.case_id AND r.content_key = $1 RETURNING r.case_id, c.ref, r.count`,
			e.ContentKey, dbTime(src.ReceivedAt)).Scan(&f.CaseID, &f.Ref, &f.Count)
		switch {
		case err == nil:
			f.Duplicate = true
			return f, insertSource(ctx, tx, f.CaseID, src)
		case !errors.Is(err, pgx.ErrNoRows):
			return f, classify(err)
		}
	}
	sub := e.Sub
	if sub.Case.ID == "" || sub.Case.Ref == "" {
		return report.BatchFiled{}, fmt.Errorf("id and ref are required: %w", guichet.ErrInvalid)
	}
	for attempt := 0; ; attempt++ {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE ref = $1)`, sub.Case.Ref).Scan(&taken); err != nil {
			return report.BatchFiled{}, classify(err)
		}
		if !taken {
			break
		}
		if attempt == remintAttempts || e.Remint == nil {
			return report.BatchFiled{}, fmt.Errorf("reference %s taken: %w", sub.Case.Ref, guichet.ErrConflict)
		}
		var err error
		if sub.Case.Ref, err = e.Remint(); err != nil {
			return report.BatchFiled{}, err
		}
	}
	if err := s.submitReportTx(ctx, tx, sub); err != nil {
		return report.BatchFiled{}, err
	}
	if e.ContentKey != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO report_content (content_key, case_id, count, last_at) VALUES ($1, $2, 1, $3)`,
			e.ContentKey, sub.Case.ID, dbTime(src.ReceivedAt)); err != nil {
			return report.BatchFiled{}, fmt.Errorf("content: %w", classify(err))
		}
	}
	if err := insertSource(ctx, tx, sub.Case.ID, src); err != nil {
		return report.BatchFiled{}, err
	}
	return report.BatchFiled{CaseID: sub.Case.ID, Ref: sub.Case.Ref, Count: 1}, nil
}

func insertSource(ctx context.Context, tx pgx.Tx, caseID string, src report.Source) error {
	if src.PartnerID == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO report_sources (case_id, seq, partner_id, channel, external_id, received_at)
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM report_sources WHERE case_id = $1), $2, $3, $4, $5)`,
		caseID, src.PartnerID, src.Channel, src.ExternalID, dbTime(src.ReceivedAt))
	if err != nil {
		return fmt.Errorf("source: %w", classify(err))
	}
	return nil
}

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
