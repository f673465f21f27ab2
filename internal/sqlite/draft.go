package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/sqlrow"
)

// CreateDraft stores a new draft at Version 1, whatever d.Version says. A
// duplicate ID or CodeHash fails with guichet.ErrConflict.
func (s *Store) CreateDraft(ctx context.Context, d complaint.Draft) error {
	if d.ID == "" || len(d.CodeHash) == 0 {
		return fmt.Errorf("sqlite: create draft: id and code hash are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, qInsertDraft,
			d.ID, d.CodeHash, d.Step, d.Sealed.WrappedKey, d.Sealed.Ciphertext,
			dbTime(norm(d.CreatedAt)), dbTime(norm(d.UpdatedAt)), dbTime(norm(d.ExpiresAt)))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create draft %s: %w", d.ID, err)
	}
	return nil
}

// DraftByCode finds a draft by its code hash, expired or not, or fails with
// guichet.ErrNotFound.
func (s *Store) DraftByCode(ctx context.Context, codeHash []byte) (complaint.Draft, error) {
	var d complaint.Draft
	err := s.readRow(ctx, qDraftByCode, codeHash).
		Scan(&d.ID, &d.CodeHash, &d.Step, &d.Sealed.WrappedKey, &d.Sealed.Ciphertext,
			tm(&d.CreatedAt), tm(&d.UpdatedAt), tm(&d.ExpiresAt), &d.Version)
	if err != nil {
		return complaint.Draft{}, fmt.Errorf("sqlite: draft by code: %w", notFound(err))
	}
	return d, nil
}

// UpdateDraft replaces the draft's Step, Sealed, UpdatedAt and ExpiresAt
// and stores Version+1, only if the stored Version equals d.Version: else it
// fails with guichet.ErrConflict, or guichet.ErrNotFound if the draft is gone.
func (s *Store) UpdateDraft(ctx context.Context, d complaint.Draft) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, qUpdateDraft,
			d.Step, d.Sealed.WrappedKey, d.Sealed.Ciphertext, dbTime(norm(d.UpdatedAt)), dbTime(norm(d.ExpiresAt)),
			d.ID, d.Version)
		if err != nil {
			return classify(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var version int
		if err := tx.QueryRowContext(ctx, `SELECT version FROM drafts WHERE id = ?`, d.ID).Scan(&version); err != nil {
			return notFound(err)
		}
		return fmt.Errorf("stored version %d, given %d: %w", version, d.Version, guichet.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("sqlite: update draft %s: %w", d.ID, err)
	}
	return nil
}

// DeleteExpiredDrafts deletes the drafts whose ExpiresAt is at or before
// now, and their evidence rows, and returns those rows' blob keys.
func (s *Store) DeleteExpiredDrafts(ctx context.Context, now time.Time) ([]string, error) {
	var keys []string
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		keys = []string{}
		limit := norm(now).UnixMicro()
		rows, err := tx.QueryContext(ctx, `DELETE FROM evidence
			WHERE owner_id IN (SELECT id FROM drafts WHERE expires_at <= ?)
			RETURNING blob_key`, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM drafts WHERE expires_at <= ?`, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete expired drafts: %w", err)
	}
	return keys, nil
}

// AddEvidence records an uploaded file of an existing draft or case. An
// unknown owner fails with guichet.ErrNotFound, an erased case with
// guichet.ErrConflict, a duplicate ID with guichet.ErrConflict.
func (s *Store) AddEvidence(ctx context.Context, e casefile.Evidence) error {
	if e.ID == "" || e.OwnerID == "" || e.BlobKey == "" {
		return fmt.Errorf("sqlite: add evidence: id, owner and blob key are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := ownerLive(ctx, tx, e.OwnerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO evidence (id, owner_id, blob_key, content_type, size, sha256, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.OwnerID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(norm(e.CreatedAt)))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: add evidence %s to %s: %w", e.ID, e.OwnerID, err)
	}
	return nil
}

// ownerLive checks that ownerID names a draft or a case not yet erased.
func ownerLive(ctx context.Context, tx *sql.Tx, ownerID string) error {
	var erased bool
	err := tx.QueryRowContext(ctx, `SELECT FALSE FROM drafts WHERE id = ?1
		UNION ALL SELECT erased_at IS NOT NULL FROM cases WHERE id = ?1 LIMIT 1`, ownerID).Scan(&erased)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("owner %s: %w", ownerID, guichet.ErrNotFound)
	case err != nil:
		return err
	case erased:
		return fmt.Errorf("case %s is erased: %w", ownerID, guichet.ErrConflict)
	}
	return nil
}

// ListEvidence returns the owner's files, oldest first (then by ID); an
// owner without files, or unknown, has none.
func (s *Store) ListEvidence(ctx context.Context, ownerID string) ([]casefile.Evidence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.EvidenceColumns+`
		FROM evidence WHERE owner_id = ? ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list evidence of %s: %w", ownerID, err)
	}
	defer rows.Close()
	out := []casefile.Evidence{}
	for rows.Next() {
		e, err := sqlrow.ScanEvidence(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list evidence of %s: %w", ownerID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list evidence of %s: %w", ownerID, err)
	}
	return out, nil
}

// DeleteEvidence removes one file record of the owner, or fails with
// guichet.ErrNotFound when the owner has no such file.
func (s *Store) DeleteEvidence(ctx context.Context, ownerID, id string) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM evidence WHERE id = ? AND owner_id = ?`, id, ownerID)
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete evidence %s of %s: %w", id, ownerID, err)
	}
	return nil
}
