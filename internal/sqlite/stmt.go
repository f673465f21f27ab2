package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/guichet/guichet/internal/sqlrow"
)

// The statements of the intake path (drafts saved at every step, cases
// submitted), prepared once on the writer connection: SQLite spends about a
// quarter of a submission parsing SQL otherwise.
const (
	qInsertDraft = `INSERT INTO drafts
		(id, code_hash, step, wrapped_key, ciphertext, created_at, updated_at, expires_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`
	qUpdateDraft = `UPDATE drafts
		SET step = ?, wrapped_key = ?, ciphertext = ?, updated_at = ?, expires_at = ?, version = version + 1
		WHERE id = ? AND version = ?`
	qInsertCase = `INSERT INTO cases
		(id, ref, kind, category, status, unit_id, created_at, submitted_at, updated_at, expires_at, erased_at, linked_ref)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertSecrets = `INSERT INTO case_secrets
		(case_id, tracking_hash, ledger_salt, code_failures, last_code_failure) VALUES (?, ?, ?, ?, ?)`
	qInsertPersonal    = `INSERT INTO case_personal (case_id, wrapped_key, ciphertext) VALUES (?, ?, ?)`
	qDeleteDraft       = `DELETE FROM drafts WHERE id = ?`
	qReownEvidence     = `UPDATE evidence SET owner_id = ? WHERE owner_id = ?`
	qBook              = `UPDATE slots SET booked = booked + 1 WHERE id = ? AND booked < capacity`
	qInsertAppointment = `INSERT INTO appointments (case_id, slot_id) VALUES (?, ?)`
	qMaxSeq            = `SELECT COALESCE(MAX(seq), 0) FROM case_events WHERE case_id = ?`
	qInsertEvent       = `INSERT INTO case_events (id, case_id, seq, type, at, actor, visible, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertOutbox = `INSERT INTO outbox (event_id, leaf, created_at) VALUES (?, ?, ?)`
)

// prepare prepares the intake statements on the writer connection. It
// MUST run while no transaction holds that connection.
func (s *Store) prepare(ctx context.Context) error {
	s.prepared = make(map[string]*sql.Stmt)
	for _, q := range append([]string{
		qInsertDraft, qUpdateDraft, qInsertCase, qInsertSecrets, qInsertPersonal, qDeleteDraft,
		qReownEvidence, qBook, qInsertAppointment, qMaxSeq, qInsertEvent, qInsertOutbox,
		qInsertReport, qInsertSeen, qUpsertRoute,
		qMaxDegree, qHoldKey, qSetKnownGood, qIsKnownGood, qCampaignsHoldingKey, qCampaignByID,
		qNewCampaign, qPutReport, qSaveCampaign, qPeekKey, qReportCampaign,
	}, bulkStatements()...) {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.prepared[q] = st
	}
	return nil
}

// exec runs q in tx, through its prepared statement if it has one.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st, ok := s.prepared[q]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// query runs q in tx, through its prepared statement if it has one.
func (s *Store) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st, ok := s.prepared[q]; ok {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// queryRow runs q in tx, through its prepared statement if it has one.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st, ok := s.prepared[q]; ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// The lookups of every page of the journey and of the status page, prepared
// once on the reader pool (database/sql re-prepares them lazily on each
// pooled connection and keeps them there).
var hotReads = []string{qDraftByCode, qUnit, qSlot, qCaseByRef, qSharedKey, qKeyState, qReportCampaign,
	qPublishedKey, qKnownGoodEntry}

// The statements of report intake.
const (
	qInsertReport = `INSERT INTO reports (case_id, lane, place) VALUES (?, ?, ?)`
	qInsertSeen   = `INSERT INTO report_seen
		(case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpsertRoute = `INSERT INTO report_routes
		(case_id, service, status, rule_id, rule_version, why_fr, why_en, by_actor, outcome, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_id, service) DO UPDATE SET status = excluded.status, rule_id = excluded.rule_id,
			rule_version = excluded.rule_version, why_fr = excluded.why_fr, why_en = excluded.why_en,
			by_actor = excluded.by_actor, outcome = excluded.outcome, at = excluded.at`
	qSharedKey = `SELECT COUNT(DISTINCT case_id) FROM report_seen WHERE key = ? AND case_id <> ?`
)

const (
	qDraftByCode = `SELECT id, code_hash, step, wrapped_key, ciphertext, created_at, updated_at, expires_at, version
		FROM drafts WHERE code_hash = ?`
	qUnit      = `SELECT ` + unitColumns + ` FROM units WHERE id = ?`
	qSlot      = `SELECT ` + sqlrow.SlotColumns + ` FROM slots WHERE id = ?`
	qCaseByRef = `SELECT ` + sqlrow.CaseColumns + `,
			s.tracking_hash, s.ledger_salt, COALESCE(s.code_failures, 0), s.last_code_failure
		FROM cases c LEFT JOIN case_secrets s ON s.case_id = c.id WHERE c.ref = ?`
)

// prepareReads prepares hotReads on the reader pool.
func (s *Store) prepareReads(ctx context.Context) error {
	s.reads = make(map[string]*sql.Stmt, len(hotReads))
	for _, q := range hotReads {
		st, err := s.r.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.reads[q] = st
	}
	return nil
}

// readRow runs the one-row lookup q on the reader pool, through its
// prepared statement if it has one.
func (s *Store) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := s.reads[q]; ok {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, q, args...)
}
