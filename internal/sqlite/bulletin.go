package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
		return fmt.Errorf("sqlite: create bulletin: id, ref and slug are required: %w", guichet.ErrInvalid)
	}
	draft, err := json.Marshal(d.Draft)
	if err != nil {
		return fmt.Errorf("sqlite: create bulletin %s: %w", c.Ref, err)
	}
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		if err := s.insertCase(ctx, tx, c, d.Secrets, casefile.Sealed{}); err != nil {
			return err
		}
		at := dbTime(norm(c.CreatedAt))
		if _, err := tx.ExecContext(ctx, `INSERT INTO bulletins (case_id, slug, draft, draft_at, draft_by, changed_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.ID, d.Draft.Slug, string(draft), at, d.By, at); err != nil {
			return fmt.Errorf("bulletin: %w", classify(err))
		}
		return s.writeEvents(ctx, tx, c.ID, c.Ref, d.Secrets.LedgerSalt, d.Events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create bulletin %s: %w", c.Ref, err)
	}
	return nil
}

// SaveBulletinDraft replaces a bulletin's draft.
func (s *Store) SaveBulletinDraft(ctx context.Context, caseID string, c bulletin.Content, at time.Time, by string) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		var version int
		var withdrawn bool
		var slug string
		if err := tx.QueryRowContext(ctx, `SELECT version, withdrawn_at IS NOT NULL, slug FROM bulletins WHERE case_id = ?`, caseID).
			Scan(&version, &withdrawn, &slug); err != nil {
			return notFound(err)
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
		t := dbTime(norm(at))
		if _, err := tx.ExecContext(ctx, `UPDATE bulletins SET slug = ?, draft = ?, draft_at = ?, draft_by = ?,
			changed_at = CASE WHEN version = 0 THEN ? ELSE changed_at END WHERE case_id = ?`,
			c.Slug, string(draft), t, by, t, caseID); err != nil {
			return classify(err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, t, caseID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: bulletin %s: save draft: %w", caseID, err)
	}
	return nil
}

// PublishBulletin stores a new published version.
func (s *Store) PublishBulletin(ctx context.Context, p bulletin.Publication) error {
	v := p.Version
	content, err := json.Marshal(v.Content)
	if err != nil {
		return fmt.Errorf("sqlite: bulletin %s: publish: %w", p.CaseID, err)
	}
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, p.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, p.CaseID, p.Allowed); err != nil {
			return err
		}
		var cur int
		var withdrawn sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT version, withdrawn_at FROM bulletins WHERE case_id = ?`, p.CaseID).Scan(&cur, &withdrawn); err != nil {
			return notFound(err)
		}
		if cur != v.N-1 || withdrawn.Valid {
			return fmt.Errorf("version %d is published, not %d: %w", cur, v.N-1, guichet.ErrConflict)
		}
		// The event first: the version row references it.
		if err := s.writeEvents(ctx, tx, p.CaseID, ref, salt, p.Events); err != nil {
			return err
		}
		at := dbTime(norm(v.At))
		if _, err := tx.ExecContext(ctx, `INSERT INTO bulletin_versions (case_id, version, content, digest, at, by, event_id)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.CaseID, v.N, string(content), v.Digest, at, v.By, v.EventID); err != nil {
			return fmt.Errorf("version: %w", classify(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bulletins SET version = ?, draft = NULL, draft_at = NULL, draft_by = NULL,
			changed_at = ?, published_at = COALESCE(published_at, ?) WHERE case_id = ?`, v.N, at, at, p.CaseID); err != nil {
			return classify(err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE cases SET status = ?, updated_at = ?, submitted_at = COALESCE(submitted_at, ?) WHERE id = ?`,
			string(bulletin.StatusPublished), at, at, p.CaseID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: bulletin %s: publish: %w", p.CaseID, err)
	}
	return nil
}

// WithdrawBulletin withdraws a bulletin.
func (s *Store) WithdrawBulletin(ctx context.Context, caseID string, allowed []casefile.Status, at time.Time, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, caseID, allowed); err != nil {
			return err
		}
		t := dbTime(norm(at))
		if err := execOne(ctx, tx, `UPDATE bulletins SET withdrawn_at = ?, changed_at = ?, draft = NULL, draft_at = NULL, draft_by = NULL
			WHERE case_id = ? AND withdrawn_at IS NULL`, t, t, caseID); errors.Is(err, guichet.ErrNotFound) {
			return fmt.Errorf("withdrawn already: %w", guichet.ErrConflict)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, string(bulletin.StatusWithdrawn), t, caseID); err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: bulletin %s: withdraw: %w", caseID, err)
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
	b, err := scanBulletin(s.r.QueryRowContext(ctx, bulletinSelect+`WHERE c.ref = ?`, ref))
	if err != nil {
		return bulletin.Bulletin{}, fmt.Errorf("sqlite: bulletin %s: %w", ref, notFound(err))
	}
	return b, nil
}

// BulletinBySlug returns a bulletin by its slug.
func (s *Store) BulletinBySlug(ctx context.Context, slug string) (bulletin.Bulletin, error) {
	b, err := scanBulletin(s.r.QueryRowContext(ctx, bulletinSelect+`WHERE b.slug = ?`, slug))
	if err != nil {
		return bulletin.Bulletin{}, fmt.Errorf("sqlite: bulletin %q: %w", slug, notFound(err))
	}
	return b, nil
}

// BulletinVersions returns every published version, oldest first.
func (s *Store) BulletinVersions(ctx context.Context, caseID string) ([]bulletin.Version, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version, content, digest, at, by, event_id FROM bulletin_versions
		WHERE case_id = ? ORDER BY version`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bulletin %s: versions: %w", caseID, err)
	}
	defer rows.Close()
	out := []bulletin.Version{}
	for rows.Next() {
		var v bulletin.Version
		var content string
		if err := rows.Scan(&v.N, &content, &v.Digest, tm(&v.At), &v.By, &v.EventID); err != nil {
			return nil, fmt.Errorf("sqlite: bulletin %s: versions: %w", caseID, err)
		}
		if err := json.Unmarshal([]byte(content), &v.Content); err != nil {
			return nil, fmt.Errorf("sqlite: bulletin %s: version %d: %w", caseID, v.N, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Bulletins lists bulletins, the latest changed first.
func (s *Store) Bulletins(ctx context.Context, published bool, limit int) ([]bulletin.Bulletin, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: bulletins: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, bulletinSelect+`WHERE (? = 0 OR b.version > 0) ORDER BY b.changed_at DESC, c.id DESC LIMIT ?`,
		boolInt(published), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bulletins: %w", err)
	}
	defer rows.Close()
	out := []bulletin.Bulletin{}
	for rows.Next() {
		b, err := scanBulletin(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: bulletins: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
