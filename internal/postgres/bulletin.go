package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/sqlrow"
)

var _ bulletin.Store = (*Store)(nil)

// CreateBulletin writes a new bulletin with its draft.
func (s *Store) CreateBulletin(ctx context.Context, d bulletin.NewDraft) error {
	c := d.Case
	if c.ID == "" || c.Ref == "" || d.Draft.Slug == "" {
		return fmt.Errorf("postgres: create bulletin: id, ref and slug are required: %w", guichet.ErrInvalid)
	}
	draft, err := json.Marshal(d.Draft)
	if err != nil {
		return fmt.Errorf("postgres: create bulletin %s: %w", c.Ref, err)
	}
	err = s.Transact(ctx, func(tx pgx.Tx) error {
		if err := insertCaseTx(ctx, tx, c, d.Secrets, casefile.Sealed{}); err != nil {
			return err
		}
		at := dbTime((c.CreatedAt))
		if _, err := tx.Exec(ctx, `INSERT INTO bulletins (case_id, slug, draft, draft_at, draft_by, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, d.Draft.Slug, string(draft), at, d.By, at); err != nil {
			return fmt.Errorf("bulletin: %w", classify(err))
		}
		return writeEvents(ctx, tx, c.ID, c.Ref, d.Secrets.LedgerSalt, d.Events)
	})
	if err != nil {
		return fmt.Errorf("postgres: create bulletin %s: %w", c.Ref, err)
	}
	return nil
}

// SaveBulletinDraft replaces a bulletin's draft.
func (s *Store) SaveBulletinDraft(ctx context.Context, caseID string, c bulletin.Content, at time.Time, by string) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var version int
		var withdrawn bool
		var slug string
		if err := tx.QueryRow(ctx, `SELECT version, withdrawn_at IS NOT NULL, slug FROM bulletins WHERE case_id = $1 FOR UPDATE`, caseID).
			Scan(&version, &withdrawn, &slug); err != nil {
			return classify(err)
		}
		if withdrawn {
			return fmt.Errorf("withdrawn: %w", guichet.ErrConflict)
		}
		if version > 0 {
			c.Slug = slug
		}
		draft, err := json.Marshal(c)
		if err != nil {
			return err
		}
		t := dbTime((at))
		if _, err := tx.Exec(ctx, `UPDATE bulletins SET slug = $1, draft = $2, draft_at = $3, draft_by = $4,
			changed_at = CASE WHEN version = 0 THEN $5 ELSE changed_at END WHERE case_id = $6`,
			c.Slug, string(draft), t, by, t, caseID); err != nil {
			return classify(err)
		}
		_, err = tx.Exec(ctx, `UPDATE cases SET updated_at = $1 WHERE id = $2`, t, caseID)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: bulletin %s: save draft: %w", caseID, err)
	}
	return nil
}

// PublishBulletin stores a new published version.
func (s *Store) PublishBulletin(ctx context.Context, p bulletin.Publication) error {
	v := p.Version
	content, err := json.Marshal(v.Content)
	if err != nil {
		return fmt.Errorf("postgres: bulletin %s: publish: %w", p.CaseID, err)
	}
	err = s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, p.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, p.CaseID, p.Allowed); err != nil {
			return err
		}
		var cur int
		var withdrawn bool
		// FOR UPDATE: of writers publishing at once, the second waits and
		// then sees the first one's version.
		if err := tx.QueryRow(ctx, `SELECT version, withdrawn_at IS NOT NULL FROM bulletins WHERE case_id = $1 FOR UPDATE`, p.CaseID).Scan(&cur, &withdrawn); err != nil {
			return classify(err)
		}
		if cur != v.N-1 || withdrawn {
			return fmt.Errorf("version %d is published, not %d: %w", cur, v.N-1, guichet.ErrConflict)
		}
		// The event first: the version row references it.
		if err := writeEvents(ctx, tx, p.CaseID, ref, salt, p.Events); err != nil {
			return err
		}
		at := dbTime((v.At))
		if _, err := tx.Exec(ctx, `INSERT INTO bulletin_versions (case_id, version, content, digest, at, by, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.CaseID, v.N, string(content), v.Digest, at, v.By, v.EventID); err != nil {
			return fmt.Errorf("version: %w", classify(err))
		}
		if _, err := tx.Exec(ctx, `UPDATE bulletins SET version = $1, draft = NULL, draft_at = NULL, draft_by = NULL,
			changed_at = $2, published_at = COALESCE(published_at, $3) WHERE case_id = $4`, v.N, at, at, p.CaseID); err != nil {
			return classify(err)
		}
		_, err = tx.Exec(ctx, `UPDATE cases SET status = $1, updated_at = $2, submitted_at = COALESCE(submitted_at, $3) WHERE id = $4`,
			string(bulletin.StatusPublished), at, at, p.CaseID)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: bulletin %s: publish: %w", p.CaseID, err)
	}
	return nil
}

// WithdrawBulletin withdraws a bulletin.
func (s *Store) WithdrawBulletin(ctx context.Context, caseID string, allowed []casefile.Status, at time.Time, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, caseID, allowed); err != nil {
			return err
		}
		t := dbTime((at))
		if err := execOneTx(ctx, tx, `UPDATE bulletins SET withdrawn_at = $1, changed_at = $2, draft = NULL, draft_at = NULL, draft_by = NULL
			WHERE case_id = $3 AND withdrawn_at IS NULL`, t, t, caseID); errors.Is(err, guichet.ErrNotFound) {
			return fmt.Errorf("withdrawn already: %w", guichet.ErrConflict)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3`, string(bulletin.StatusWithdrawn), t, caseID); err != nil {
			return err
		}
		return writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: bulletin %s: withdraw: %w", caseID, err)
	}
	return nil
}

const bulletinSelect = `SELECT ` + sqlrow.CaseColumns + `, b.slug, b.draft, b.draft_at, b.draft_by, b.published_at, b.withdrawn_at,
	b.version, v.content, v.digest, v.at, v.by, v.event_id
	FROM bulletins b JOIN cases c ON c.id = b.case_id
	LEFT JOIN bulletin_versions v ON v.case_id = b.case_id AND v.version = b.version `

func scanBulletin(sc sqlrow.Scanner) (bulletin.Bulletin, error) {
	var b bulletin.Bulletin
	var kind, status, draft, content string
	var v bulletin.Version
	dest := append(sqlrow.CaseDest(&b.Case, &kind, &status), &b.Slug, str(&draft), tm(&b.DraftAt), str(&b.DraftBy),
		tm(&b.PublishedAt), tm(&b.WithdrawnAt), &v.N, str(&content), str(&v.Digest), tm(&v.At), str(&v.By), str(&v.EventID))
	if err := sc.Scan(dest...); err != nil {
		return bulletin.Bulletin{}, err
	}
	b.Case.Kind, b.Case.Status = caseref.Kind(kind), casefile.Status(status)
	if draft != "" {
		b.Draft = new(bulletin.Content)
		if err := json.Unmarshal([]byte(draft), b.Draft); err != nil {
			return bulletin.Bulletin{}, fmt.Errorf("draft: %w", err)
		}
	}
	if v.N > 0 {
		if err := json.Unmarshal([]byte(content), &v.Content); err != nil {
			return bulletin.Bulletin{}, fmt.Errorf("version %d: %w", v.N, err)
		}
		b.Published = &v
	}
	return b, nil
}

// BulletinByRef returns a bulletin by its reference.
func (s *Store) BulletinByRef(ctx context.Context, ref string) (bulletin.Bulletin, error) {
	b, err := scanBulletin(s.pool.QueryRow(ctx, bulletinSelect+`WHERE c.ref = $1`, ref))
	if err != nil {
		return bulletin.Bulletin{}, fmt.Errorf("postgres: bulletin %s: %w", ref, classify(err))
	}
	return b, nil
}

// BulletinBySlug returns a bulletin by its slug.
func (s *Store) BulletinBySlug(ctx context.Context, slug string) (bulletin.Bulletin, error) {
	b, err := scanBulletin(s.pool.QueryRow(ctx, bulletinSelect+`WHERE b.slug = $1`, slug))
	if err != nil {
		return bulletin.Bulletin{}, fmt.Errorf("postgres: bulletin %q: %w", slug, classify(err))
	}
	return b, nil
}

// BulletinVersions returns every published version, oldest first.
func (s *Store) BulletinVersions(ctx context.Context, caseID string) ([]bulletin.Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, content, digest, at, by, event_id FROM bulletin_versions
		WHERE case_id = $1 ORDER BY version`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: bulletin %s: versions: %w", caseID, err)
	}
	defer rows.Close()
	out := []bulletin.Version{}
	for rows.Next() {
		var v bulletin.Version
		var content string
		if err := rows.Scan(&v.N, &content, &v.Digest, tm(&v.At), &v.By, &v.EventID); err != nil {
			return nil, fmt.Errorf("postgres: bulletin %s: versions: %w", caseID, err)
		}
		if err := json.Unmarshal([]byte(content), &v.Content); err != nil {
			return nil, fmt.Errorf("postgres: bulletin %s: version %d: %w", caseID, v.N, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Bulletins lists bulletins, the latest changed first.
func (s *Store) Bulletins(ctx context.Context, published bool, limit int) ([]bulletin.Bulletin, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: bulletins: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, bulletinSelect+`WHERE (NOT $1::boolean OR b.version > 0) ORDER BY b.changed_at DESC, c.id DESC LIMIT $2`,
		published, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: bulletins: %w", err)
	}
	defer rows.Close()
	out := []bulletin.Bulletin{}
	for rows.Next() {
		b, err := scanBulletin(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: bulletins: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// insertCaseTx writes a case, its secrets and personal part in tx.
func insertCaseTx(ctx context.Context, tx pgx.Tx, c casefile.Case, sec casefile.Secrets, personal casefile.Sealed) error {
	b := &pgx.Batch{}
	queueCaseInsert(b, c, sec, personal)
	br := tx.SendBatch(ctx, b)
	err := caseInsertResults(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = classify(cerr)
	}
	return err
}

// execOneTx runs q in tx and fails with guichet.ErrNotFound unless it
// changed at least one row.
func execOneTx(ctx context.Context, tx pgx.Tx, q string, args ...any) error {
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return guichet.ErrNotFound
	}
	return nil
}
