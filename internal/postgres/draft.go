package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/sqlrow"
)

// CreateDraft stores a new draft at Version 1, whatever d.Version says. A
// duplicate ID or CodeHash fails with guichet.ErrConflict.
func (s *Store) CreateDraft(ctx context.Context, d complaint.Draft) error {
	if d.ID == "" || len(d.CodeHash) == 0 {
		return fmt.Errorf("postgres: create draft: id and code hash are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO drafts
			(id, code_hash, step, wrapped_key, ciphertext, created_at, updated_at, expires_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)`,
			d.ID, d.CodeHash, d.Step, d.Sealed.WrappedKey, d.Sealed.Ciphertext,
			dbTime(d.CreatedAt), dbTime(d.UpdatedAt), dbTime(d.ExpiresAt))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: create draft %s: %w", d.ID, err)
	}
	return nil
}

// DraftByCode finds a draft by its code hash, expired or not, or fails with
// guichet.ErrNotFound.
func (s *Store) DraftByCode(ctx context.Context, codeHash []byte) (complaint.Draft, error) {
	var d complaint.Draft
	err := s.pool.QueryRow(ctx, `SELECT id, code_hash, step, wrapped_key, ciphertext, created_at, updated_at, expires_at, version
		FROM drafts WHERE code_hash = $1`, codeHash).
		Scan(&d.ID, &d.CodeHash, &d.Step, &d.Sealed.WrappedKey, &d.Sealed.Ciphertext,
			tm(&d.CreatedAt), tm(&d.UpdatedAt), tm(&d.ExpiresAt), &d.Version)
	if err != nil {
		return complaint.Draft{}, fmt.Errorf("postgres: draft by code: %w", classify(err))
	}
	return d, nil
}

// UpdateDraft replaces the draft's Step, Sealed, UpdatedAt and ExpiresAt
// and stores Version+1, only if the stored Version equals d.Version: else it
// fails with guichet.ErrConflict, or guichet.ErrNotFound if the draft is gone.
func (s *Store) UpdateDraft(ctx context.Context, d complaint.Draft) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE drafts
			SET step = $1, wrapped_key = $2, ciphertext = $3, updated_at = $4, expires_at = $5, version = version + 1
			WHERE id = $6 AND version = $7`,
			d.Step, d.Sealed.WrappedKey, d.Sealed.Ciphertext, dbTime(d.UpdatedAt), dbTime(d.ExpiresAt), d.ID, d.Version)
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT version FROM drafts WHERE id = $1`, d.ID).Scan(&version); err != nil {
			return classify(err)
		}
		return fmt.Errorf("stored version %d, given %d: %w", version, d.Version, guichet.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("postgres: update draft %s: %w", d.ID, err)
	}
	return nil
}

// DeleteExpiredDrafts deletes the drafts whose ExpiresAt is at or before
// now, and their evidence rows, and returns those rows' blob keys.
func (s *Store) DeleteExpiredDrafts(ctx context.Context, now time.Time) ([]string, error) {
	var keys []string
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		// Drafts first: that waits for, then excludes, drafts being saved or
		// given evidence (AddEvidence locks the draft), and the evidence
		// statement then sees every file committed meanwhile.
		rows, err := tx.Query(ctx, `DELETE FROM drafts WHERE expires_at <= $1 RETURNING id`, norm(now))
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `DELETE FROM evidence WHERE owner_id = ANY($1) RETURNING blob_key`, ids)
		if err != nil {
			return err
		}
		keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if keys == nil {
			keys = []string{}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: delete expired drafts: %w", err)
	}
	return keys, nil
}

// AddEvidence records an uploaded file of an existing draft or case. An
// unknown owner fails with guichet.ErrNotFound, an erased case with
// guichet.ErrConflict, a duplicate ID with guichet.ErrConflict.
func (s *Store) AddEvidence(ctx context.Context, e casefile.Evidence) error {
	if e.ID == "" || e.OwnerID == "" || e.BlobKey == "" {
		return fmt.Errorf("postgres: add evidence: id, owner and blob key are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		if err := ownerLive(ctx, tx, e.OwnerID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO evidence (id, owner_id, blob_key, content_type, size, sha256, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, e.OwnerID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(e.CreatedAt))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: add evidence %s to %s: %w", e.ID, e.OwnerID, err)
	}
	return nil
}

// ownerLive checks that ownerID names a draft or a case not yet erased, and
// locks that row (FOR SHARE) until the transaction ends, so that the owner
// cannot be deleted, submitted or erased before the file is recorded.
func ownerLive(ctx context.Context, tx pgx.Tx, ownerID string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM drafts WHERE id = $1 FOR SHARE`, ownerID).Scan(&one)
	if err == nil {
		return nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var erased bool
	err = tx.QueryRow(ctx, `SELECT erased_at IS NOT NULL FROM cases WHERE id = $1 FOR SHARE`, ownerID).Scan(&erased)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.EvidenceColumns+`
		FROM evidence WHERE owner_id = $1 ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list evidence of %s: %w", ownerID, err)
	}
	out, err := collect(rows, func(r pgx.Row) (casefile.Evidence, error) { return sqlrow.ScanEvidence(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list evidence of %s: %w", ownerID, err)
	}
	return out, nil
}

// DeleteEvidence removes one file record of the owner, or fails with
// guichet.ErrNotFound when the owner has no such file.
func (s *Store) DeleteEvidence(ctx context.Context, ownerID, id string) error {
	return s.update(ctx, "delete evidence "+id+" of "+ownerID, `DELETE FROM evidence WHERE id = $1 AND owner_id = $2`, id, ownerID)
}
