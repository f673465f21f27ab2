package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := s.pool.Exec(ctx, `INSERT INTO partners (id, name, kind, scopes, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.Name, string(p.Kind), joinScopes(p.Scopes), dbTime(p.CreatedAt), dbTime(p.DisabledAt))
	if err != nil {
		return fmt.Errorf("postgres: create partner: %w", classify(err))
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
	rows, err := s.pool.Query(ctx, `SELECT `+partnerCols+` FROM partners ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: partners: %w", err)
	}
	defer rows.Close()
	out := []partner.Partner{}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: partners: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PartnerByID returns a partner.
func (s *Store) PartnerByID(ctx context.Context, id string) (partner.Partner, error) {
	p, err := scanPartner(s.pool.QueryRow(ctx, `SELECT `+partnerCols+` FROM partners WHERE id = $1`, id))
	if err != nil {
		return partner.Partner{}, fmt.Errorf("postgres: partner %s: %w", id, classify(err))
	}
	return p, nil
}

func execOnePool(ctx context.Context, s *Store, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return guichet.ErrNotFound
	}
	return nil
}

// DisablePartner sets the partner's disabled_at unless set.
func (s *Store) DisablePartner(ctx context.Context, id string, at time.Time) error {
	if err := execOnePool(ctx, s, `UPDATE partners SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2`, dbTime(at), id); err != nil {
		return fmt.Errorf("postgres: disable partner %s: %w", id, err)
	}
	return nil
}

func insertToken(ctx context.Context, tx pgx.Tx, t partner.Token) error {
	_, err := tx.Exec(ctx, `INSERT INTO partner_tokens (id, partner_id, hash, hint, scopes, rate, created_at, expires_at, revoked_at, uses)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)`,
		t.ID, t.PartnerID, t.Hash, t.Hint, joinScopes(t.Scopes), t.Rate, dbTime(t.CreatedAt), dbTime(t.ExpiresAt), dbTime(t.RevokedAt))
	return classify(err)
}

// CreateToken stores a new token.
func (s *Store) CreateToken(ctx context.Context, t partner.Token) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM partners WHERE id = $1`, t.PartnerID).Scan(&id); err != nil {
			return classify(err)
		}
		return insertToken(ctx, tx, t)
	})
	if err != nil {
		return fmt.Errorf("postgres: create token: %w", err)
	}
	return nil
}

// RotateToken stores next and retires old at oldExpires.
func (s *Store) RotateToken(ctx context.Context, old string, oldExpires time.Time, next partner.Token) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE partner_tokens SET replaced_by = $1, expires_at = LEAST(expires_at, $2)
			WHERE id = $3 AND partner_id = $4 AND revoked_at IS NULL AND replaced_by IS NULL`,
			next.ID, dbTime(oldExpires), old, next.PartnerID)
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 0 {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM partner_tokens WHERE id = $1 AND partner_id = $2`, old, next.PartnerID).Scan(&one); err != nil {
				return classify(err)
			}
			return fmt.Errorf("token %s was revoked or rotated already: %w", old, guichet.ErrConflict)
		}
		return insertToken(ctx, tx, next)
	})
	if err != nil {
		return fmt.Errorf("postgres: rotate token %s: %w", old, err)
	}
	return nil
}

// RevokeToken sets revoked_at unless set.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	if err := execOnePool(ctx, s, `UPDATE partner_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, dbTime(at), id); err != nil {
		return fmt.Errorf("postgres: revoke token %s: %w", id, err)
	}
	return nil
}

const tokenCols = `t.id, t.partner_id, t.hash, t.hint, t.scopes, t.rate, t.created_at, t.expires_at, t.revoked_at, COALESCE(t.replaced_by, ''), t.uses, t.last_used_at`

func scanToken(dest []any, t *partner.Token, scopes *string) []any {
	return append(dest, &t.ID, &t.PartnerID, &t.Hash, &t.Hint, scopes, &t.Rate, tm(&t.CreatedAt), tm(&t.ExpiresAt), tm(&t.RevokedAt), &t.ReplacedBy, &t.Uses, tm(&t.LastUsedAt))
}

// TokenByHash returns a token and its partner, read from the primary (a
// revocation committed before the call is seen).
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (partner.Token, partner.Partner, error) {
	var (
		t                      partner.Token
		p                      partner.Partner
		tscopes, kind, pscopes string
	)
	dest := scanToken(nil, &t, &tscopes)
	dest = append(dest, &p.ID, &p.Name, &kind, &pscopes, tm(&p.CreatedAt), tm(&p.DisabledAt))
	err := s.pool.QueryRow(ctx, `SELECT `+tokenCols+`, p.id, p.name, p.kind, p.scopes, p.created_at, p.disabled_at
		FROM partner_tokens t JOIN partners p ON p.id = t.partner_id WHERE t.hash = $1`, hash).Scan(dest...)
	if err != nil {
		return partner.Token{}, partner.Partner{}, fmt.Errorf("postgres: token: %w", classify(err))
	}
	t.Scopes, p.Kind, p.Scopes = splitScopes(tscopes), partner.Kind(kind), splitScopes(pscopes)
	return t, p, nil
}

// Tokens lists a partner's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, partnerID string) ([]partner.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM partner_tokens t WHERE t.partner_id = $1 ORDER BY t.created_at DESC, t.id DESC`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("postgres: tokens: %w", err)
	}
	defer rows.Close()
	out := []partner.Token{}
	for rows.Next() {
		var (
			t      partner.Token
			scopes string
		)
		if err := rows.Scan(scanToken(nil, &t, &scopes)...); err != nil {
			return nil, fmt.Errorf("postgres: tokens: %w", err)
		}
		t.Scopes = splitScopes(scopes)
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddTokenUses adds the uses counted to each token, in one batch.
func (s *Store) AddTokenUses(ctx context.Context, uses map[string]partner.Use) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for id, u := range uses {
			b.Queue(`UPDATE partner_tokens SET uses = uses + $1, last_used_at = GREATEST(last_used_at, $2) WHERE id = $3`, u.N, dbTime(u.Last), id)
		}
		return classify(tx.SendBatch(ctx, b).Close())
	})
	if err != nil {
		return fmt.Errorf("postgres: token uses: %w", err)
	}
	return nil
}
