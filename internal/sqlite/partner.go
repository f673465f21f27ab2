package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/partner"
)

var _ partner.Store = (*Store)(nil)

func joinScopes(s []partner.Scope) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return strings.Join(out, " ")
}

func splitScopes(s string) []partner.Scope {
	var out []partner.Scope
	for _, f := range strings.Fields(s) {
		out = append(out, partner.Scope(f))
	}
	return out
}

// CreatePartner stores a new partner.
func (s *Store) CreatePartner(ctx context.Context, p partner.Partner) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO partners (id, name, kind, scopes, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?)`,
			p.ID, p.Name, string(p.Kind), joinScopes(p.Scopes), dbTime(norm(p.CreatedAt)), dbTime(norm(p.DisabledAt)))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create partner: %w", err)
	}
	return nil
}

const partnerCols = `id, name, kind, scopes, created_at, disabled_at`

func scanPartner(sc interface{ Scan(...any) error }) (partner.Partner, error) {
	var (
		p            partner.Partner
		kind, scopes string
	)
	if err := sc.Scan(&p.ID, &p.Name, &kind, &scopes, tm(&p.CreatedAt), tm(&p.DisabledAt)); err != nil {
		return partner.Partner{}, err
	}
	p.Kind, p.Scopes = partner.Kind(kind), splitScopes(scopes)
	return p, nil
}

// Partners lists every partner by name.
func (s *Store) Partners(ctx context.Context) ([]partner.Partner, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+partnerCols+` FROM partners ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: partners: %w", err)
	}
	defer rows.Close()
	out := []partner.Partner{}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: partners: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PartnerByID returns a partner.
func (s *Store) PartnerByID(ctx context.Context, id string) (partner.Partner, error) {
	p, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerCols+` FROM partners WHERE id = ?`, id))
	if err != nil {
		return partner.Partner{}, fmt.Errorf("sqlite: partner %s: %w", id, notFound(err))
	}
	return p, nil
}

// DisablePartner sets the partner's disabled_at unless set.
func (s *Store) DisablePartner(ctx context.Context, id string, at time.Time) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `UPDATE partners SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?`, dbTime(norm(at)), id); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: disable partner %s: %w", id, err)
	}
	return nil
}

func insertToken(ctx context.Context, tx *sql.Tx, t partner.Token) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_tokens (id, partner_id, hash, hint, scopes, rate, created_at, expires_at, revoked_at, uses)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		t.ID, t.PartnerID, t.Hash, t.Hint, joinScopes(t.Scopes), t.Rate, dbTime(norm(t.CreatedAt)), dbTime(norm(t.ExpiresAt)), dbTime(norm(t.RevokedAt)))
	return classify(err)
}

// CreateToken stores a new token.
func (s *Store) CreateToken(ctx context.Context, t partner.Token) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if _, err := livePartner(ctx, tx, t.PartnerID); err != nil {
			return err
		}
		return insertToken(ctx, tx, t)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create token: %w", err)
	}
	return nil
}

func livePartner(ctx context.Context, tx *sql.Tx, id string) (string, error) {
	var got string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM partners WHERE id = ?`, id).Scan(&got); err != nil {
		return "", notFound(err)
	}
	return got, nil
}

// RotateToken stores next and retires old at oldExpires.
func (s *Store) RotateToken(ctx context.Context, old string, oldExpires time.Time, next partner.Token) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE partner_tokens SET replaced_by = ?, expires_at = MIN(expires_at, ?)
			WHERE id = ? AND partner_id = ? AND revoked_at IS NULL AND replaced_by IS NULL`,
			next.ID, dbTime(norm(oldExpires)), old, next.PartnerID)
		if err != nil {
			return classify(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM partner_tokens WHERE id = ? AND partner_id = ?`, old, next.PartnerID).Scan(&one); err != nil {
				return notFound(err)
			}
			return fmt.Errorf("token %s was revoked or rotated already: %w", old, guichet.ErrConflict)
		}
		return insertToken(ctx, tx, next)
	})
	if err != nil {
		return fmt.Errorf("sqlite: rotate token %s: %w", old, err)
	}
	return nil
}

// RevokeToken sets revoked_at unless set.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE partner_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, dbTime(norm(at)), id)
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke token %s: %w", id, err)
	}
	return nil
}

const tokenCols = `t.id, t.partner_id, t.hash, t.hint, t.scopes, t.rate, t.created_at, t.expires_at, t.revoked_at, COALESCE(t.replaced_by, ''), t.uses, t.last_used_at`

func scanToken(dest []any, t *partner.Token, scopes *string) []any {
	return append(dest, &t.ID, &t.PartnerID, &t.Hash, &t.Hint, scopes, &t.Rate, tm(&t.CreatedAt), tm(&t.ExpiresAt), tm(&t.RevokedAt), &t.ReplacedBy, &t.Uses, tm(&t.LastUsedAt))
}

// TokenByHash returns a token and its partner. It reads through the
// reader pool: in WAL mode a reader sees every transaction committed
// before its read starts, so a revocation is seen at once.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (partner.Token, partner.Partner, error) {
	var (
		t                      partner.Token
		p                      partner.Partner
		tscopes, kind, pscopes string
	)
	dest := scanToken(nil, &t, &tscopes)
	dest = append(dest, &p.ID, &p.Name, &kind, &pscopes, tm(&p.CreatedAt), tm(&p.DisabledAt))
	err := s.r.QueryRowContext(ctx, `SELECT `+tokenCols+`, p.id, p.name, p.kind, p.scopes, p.created_at, p.disabled_at
		FROM partner_tokens t JOIN partners p ON p.id = t.partner_id WHERE t.hash = ?`, hash).Scan(dest...)
	if err != nil {
		return partner.Token{}, partner.Partner{}, fmt.Errorf("sqlite: token: %w", notFound(err))
	}
	t.Scopes, p.Kind, p.Scopes = splitScopes(tscopes), partner.Kind(kind), splitScopes(pscopes)
	return t, p, nil
}

// Tokens lists a partner's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, partnerID string) ([]partner.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM partner_tokens t WHERE t.partner_id = ? ORDER BY t.created_at DESC, t.id DESC`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tokens: %w", err)
	}
	defer rows.Close()
	out := []partner.Token{}
	for rows.Next() {
		var (
			t      partner.Token
			scopes string
		)
		if err := rows.Scan(scanToken(nil, &t, &scopes)...); err != nil {
			return nil, fmt.Errorf("sqlite: tokens: %w", err)
		}
		t.Scopes = splitScopes(scopes)
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddTokenUses adds the uses counted to each token.
func (s *Store) AddTokenUses(ctx context.Context, uses map[string]partner.Use) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		for id, u := range uses {
			if _, err := tx.ExecContext(ctx, `UPDATE partner_tokens SET uses = uses + ?, last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`,
				u.N, dbTime(norm(u.Last)), id); err != nil {
				return classify(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: token uses: %w", err)
	}
	return nil
}
