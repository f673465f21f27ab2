// Package partner owns the organisations that send reports through the
// JSON API — spam observatories, mail providers, mobile operators,
// authorities — and their API tokens: what each may send and read
// (scopes), for how long, at what rate, and how often each token is used.
//
// A token is shown once, when it is made: only its SHA-256 is stored.
// Revocation takes effect at once on every node: Authenticate reads the
// token from the store on every call (one indexed read; no cache that
// could outlive a revocation). Uses are counted in memory and written in
// one statement per flush (Service.Flush, every few seconds), never one
// UPDATE per request.
package partner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/uuid7"
)

// Kind is what sort of organisation a partner is.
type Kind string

// The kinds of partner.
const (
	KindObservatory Kind = "spam-observatory"
	KindMail        Kind = "mail-provider"
	KindOperator    Kind = "operator"
	KindAuthority   Kind = "authority"
	KindOther       Kind = "other"
)

// Kinds lists every kind, in the order forms show them.
var Kinds = []Kind{KindObservatory, KindMail, KindOperator, KindAuthority, KindOther}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Scope is one thing a token (and its partner) may do.
type Scope string

// The scopes.
const (
	// ScopeReportsWrite: send reports (one, a batch, machine feeds).
	ScopeReportsWrite Scope = "reports:write"
	// ScopeReportsRead: read back the reports the partner sent.
	ScopeReportsRead Scope = "reports:read"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeReportsWrite, ScopeReportsRead}

// Partner is an organisation allowed to use the API.
type Partner struct {
	ID   string
	Name string
	Kind Kind
	// Scopes bound what any of its tokens may do.
	Scopes    []Scope
	CreatedAt time.Time
	// DisabledAt, when set, is when the partner was disabled: none of its
	// tokens is accepted since.
	DisabledAt time.Time
}

// Disabled reports whether p is disabled.
func (p Partner) Disabled() bool { return !p.DisabledAt.IsZero() }

// Token is an API token as stored: never the token itself.
type Token struct {
	ID        string
	PartnerID string
	// Hash is SHA-256 of the token.
	Hash []byte
	// Hint is the token's first characters, to tell tokens apart in lists.
	Hint   string
	Scopes []Scope
	// Rate is how many requests a minute the token may make.
	Rate      int
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt, when set, is when it was revoked.
	RevokedAt time.Time
	// ReplacedBy is the ID of the token it was rotated to, if any.
	ReplacedBy string
	Uses       int64
	LastUsedAt time.Time
}

// Usable reports whether t is accepted at now: neither revoked nor
// expired.
func (t Token) Usable(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// Has reports whether the token holds scope s.
func (t Token) Has(s Scope) bool { return slices.Contains(t.Scopes, s) }

// Use is how many times a token was used, and when last, since the last
// flush.
type Use struct {
	N    int64
	Last time.Time
}

// Store keeps partners and tokens.
//
// Lookups of a missing object return an error wrapping guichet.ErrNotFound.
type Store interface {
	// CreatePartner stores a new partner; a name or ID already used fails
	// with guichet.ErrConflict.
	CreatePartner(ctx context.Context, p Partner) error
	// Partners lists every partner, by name.
	Partners(ctx context.Context) ([]Partner, error)
	// PartnerByID returns a partner.
	PartnerByID(ctx context.Context, id string) (Partner, error)
	// DisablePartner sets DisabledAt to at (if not already set).
	DisablePartner(ctx context.Context, id string, at time.Time) error
	// CreateToken stores a new token of an existing partner; a hash or ID
	// already used fails with guichet.ErrConflict.
	CreateToken(ctx context.Context, t Token) error
	// RotateToken stores next, marks old as replaced by it and moves old's
	// expiry to oldExpires when that is earlier, at once. An old token
	// already revoked or replaced fails with guichet.ErrConflict.
	RotateToken(ctx context.Context, old string, oldExpires time.Time, next Token) error
	// RevokeToken sets RevokedAt to at (if not already set).
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TokenByHash returns the token whose hash is hash and its partner,
	// as committed now: a revocation committed before the call MUST be
	// seen.
	TokenByHash(ctx context.Context, hash []byte) (Token, Partner, error)
	// Tokens lists a partner's tokens, newest first.
	Tokens(ctx context.Context, partnerID string) ([]Token, error)
	// AddTokenUses adds each use to its token's count and sets its
	// LastUsedAt to the latest of the two, in one transaction. Unknown
	// tokens are skipped.
	AddTokenUses(ctx context.Context, uses map[string]Use) error
}

// Defaults of new tokens.
const (
	DefaultTTL  = 365 * 24 * time.Hour
	DefaultRate = 600 // a minute
	MaxRate     = 600000
	// TokenPrefix starts every token, so that secret scanners find them.
	TokenPrefix = "gch_"
)

// Deps are the service's collaborators.
type Deps struct {
	Store  Store
	Clock  guichet.Clock
	Rand   io.Reader
	IDs    *uuid7.Generator
	Logger *slog.Logger
}

// Service manages partners and tokens and authenticates API calls. It is
// safe for concurrent use.
type Service struct {
	d Deps

	mu   sync.Mutex
	uses map[string]Use // since the last flush
}

// New returns a Service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	return &Service{d: d, uses: map[string]Use{}}
}

// Caller is an authenticated API caller.
type Caller struct {
	Partner Partner
	Token   Token
}

// Has reports whether the caller may do s: its token and its partner both
// hold s.
func (c Caller) Has(s Scope) bool { return c.Token.Has(s) && slices.Contains(c.Partner.Scopes, s) }

// CommandLine is the principal of `guichet admin partner`: whoever runs
// the binary on the server holds its keys already.
var CommandLine = account.Principal{Role: account.RoleAdmin, Pseudonym: "cli"}

// admin: only administrators manage partners.
func admin(p account.Principal, what string) error {
	if p.Role != account.RoleAdmin {
		return fmt.Errorf("partner: %s by %q: %w", what, p.Pseudonym, guichet.ErrForbidden)
	}
	return nil
}

// NewPartner is a partner as asked for.
type NewPartner struct {
	Name   string
	Kind   Kind
	Scopes []Scope
}

// ParseScopes reads a comma- or space-separated list of scopes; an
// unknown one is an error.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		sc := Scope(f)
		if !slices.Contains(Scopes, sc) {
			return nil, fmt.Errorf("scope %q: %w", f, guichet.ErrInvalid)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func validScopes(in []Scope) bool {
	if len(in) == 0 {
		return false
	}
	for _, s := range in {
		if !slices.Contains(Scopes, s) {
			return false
		}
	}
	return true
}

// CreatePartner records a new partner. Field errors ("name", "kind",
// "scopes") come as a *guichet.ValidationError; a name already used fails
// with guichet.ErrConflict.
func (s *Service) CreatePartner(ctx context.Context, by account.Principal, in NewPartner) (Partner, error) {
	if err := admin(by, "create"); err != nil {
		return Partner{}, err
	}
	var v guichet.ValidationError
	name := strings.Join(strings.Fields(in.Name), " ")
	if name == "" || utf8.RuneCountInString(name) > 120 {
		v.Add("name", "partner.err.name")
	}
	if !in.Kind.Valid() {
		v.Add("kind", "partner.err.kind")
	}
	if !validScopes(in.Scopes) {
		v.Add("scopes", "partner.err.scopes")
	}
	if err := v.Err(); err != nil {
		return Partner{}, err
	}
	p := Partner{ID: s.d.IDs.New(), Name: name, Kind: in.Kind, Scopes: slices.Clone(in.Scopes), CreatedAt: s.d.Clock.Now()}
	if err := s.d.Store.CreatePartner(ctx, p); err != nil {
		return Partner{}, fmt.Errorf("partner %q: %w", name, err)
	}
	s.d.Logger.InfoContext(ctx, "partner created", "partner", p.ID, "kind", string(p.Kind), "by", by.Pseudonym)
	return p, nil
}

// Partners lists every partner.
func (s *Service) Partners(ctx context.Context, by account.Principal) ([]Partner, error) {
	if err := admin(by, "list"); err != nil {
		return nil, err
	}
	return s.d.Store.Partners(ctx)
}

// Partner returns partner id (by ID, or by exact name) and its tokens.
func (s *Service) Partner(ctx context.Context, by account.Principal, id string) (Partner, []Token, error) {
	if err := admin(by, "read"); err != nil {
		return Partner{}, nil, err
	}
	p, err := s.find(ctx, id)
	if err != nil {
		return Partner{}, nil, err
	}
	toks, err := s.d.Store.Tokens(ctx, p.ID)
	return p, toks, err
}

func (s *Service) find(ctx context.Context, idOrName string) (Partner, error) {
	p, err := s.d.Store.PartnerByID(ctx, idOrName)
	if err == nil {
		return p, nil
	}
	all, lerr := s.d.Store.Partners(ctx)
	if lerr != nil {
		return Partner{}, lerr
	}
	for _, q := range all {
		if q.Name == idOrName {
			return q, nil
		}
	}
	return Partner{}, fmt.Errorf("partner %q: %w", idOrName, guichet.ErrNotFound)
}

// DisablePartner disables partner id: none of its tokens is accepted from
// the next request on.
func (s *Service) DisablePartner(ctx context.Context, by account.Principal, id string) error {
	if err := admin(by, "disable"); err != nil {
		return err
	}
	p, err := s.find(ctx, id)
	if err != nil {
		return err
	}
	if err := s.d.Store.DisablePartner(ctx, p.ID, s.d.Clock.Now()); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "partner disabled", "partner", p.ID, "by", by.Pseudonym)
	return nil
}

// NewToken is a token as asked for.
type NewToken struct {
	// Scopes: empty means every scope of the partner.
	Scopes []Scope
	// TTL: zero means DefaultTTL.
	TTL time.Duration
	// Rate (a minute): zero means DefaultRate.
	Rate int
}

// Issued is a token just made: Secret is shown once and never again.
type Issued struct {
	Token  Token
	Secret string
}

// CreateToken makes a token for partner id. Its scopes MUST be among the
// partner's (field "scopes" otherwise); Rate within 1..MaxRate ("rate");
// TTL positive ("ttl").
func (s *Service) CreateToken(ctx context.Context, by account.Principal, partnerID string, in NewToken) (Issued, error) {
	if err := admin(by, "create token"); err != nil {
		return Issued{}, err
	}
	p, err := s.find(ctx, partnerID)
	if err != nil {
		return Issued{}, err
	}
	t, secret, err := s.mint(p, in)
	if err != nil {
		return Issued{}, err
	}
	if err := s.d.Store.CreateToken(ctx, t); err != nil {
		return Issued{}, fmt.Errorf("partner %s: token: %w", p.ID, err)
	}
	s.d.Logger.InfoContext(ctx, "partner token created", "partner", p.ID, "token", t.ID, "by", by.Pseudonym)
	return Issued{Token: t, Secret: secret}, nil
}

func (s *Service) mint(p Partner, in NewToken) (Token, string, error) {
	var v guichet.ValidationError
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = p.Scopes
	}
	for _, sc := range scopes {
		if !slices.Contains(p.Scopes, sc) {
			v.Add("scopes", "partner.err.token_scopes")
			break
		}
	}
	if in.TTL == 0 {
		in.TTL = DefaultTTL
	}
	if in.TTL < 0 {
		v.Add("ttl", "partner.err.ttl")
	}
	if in.Rate == 0 {
		in.Rate = DefaultRate
	}
	if in.Rate < 1 || in.Rate > MaxRate {
		v.Add("rate", "partner.err.rate", MaxRate)
	}
	if p.Disabled() {
		v.Add("partner", "partner.err.disabled")
	}
	if err := v.Err(); err != nil {
		return Token{}, "", err
	}
	raw := make([]byte, 32) // 256 bits
	if _, err := io.ReadFull(s.d.Rand, raw); err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := s.d.Clock.Now()
	t := Token{
		ID: s.d.IDs.New(), PartnerID: p.ID, Hash: Hash(secret), Hint: secret[:len(TokenPrefix)+6],
		Scopes: slices.Clone(scopes), Rate: in.Rate, CreatedAt: now, ExpiresAt: now.Add(in.TTL),
	}
	return t, secret, nil
}

// Hash is how a token is stored and looked up: SHA-256 of its text. A
// token holds 256 random bits, so no slow hash is needed.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// RotateToken replaces token id by a new one with the same scopes, rate
// and lifetime; the old one stays valid for overlap (at most until its
// own expiry), so that the partner can deploy the new one first.
func (s *Service) RotateToken(ctx context.Context, by account.Principal, partnerID, tokenID string, overlap time.Duration) (Issued, error) {
	if err := admin(by, "rotate token"); err != nil {
		return Issued{}, err
	}
	if overlap < 0 {
		var v guichet.ValidationError
		v.Add("overlap", "partner.err.overlap")
		return Issued{}, &v
	}
	p, old, err := s.token(ctx, partnerID, tokenID)
	if err != nil {
		return Issued{}, err
	}
	now := s.d.Clock.Now()
	if !old.Usable(now) {
		return Issued{}, fmt.Errorf("partner %s: token %s is revoked or expired: %w", p.ID, old.ID, guichet.ErrConflict)
	}
	next, secret, err := s.mint(p, NewToken{Scopes: old.Scopes, Rate: old.Rate, TTL: old.ExpiresAt.Sub(old.CreatedAt)})
	if err != nil {
		return Issued{}, err
	}
	until := now.Add(overlap)
	if until.After(old.ExpiresAt) {
		until = old.ExpiresAt
	}
	if err := s.d.Store.RotateToken(ctx, old.ID, until, next); err != nil {
		return Issued{}, fmt.Errorf("partner %s: rotate token %s: %w", p.ID, old.ID, err)
	}
	s.d.Logger.InfoContext(ctx, "partner token rotated", "partner", p.ID, "token", old.ID, "next", next.ID, "by", by.Pseudonym)
	return Issued{Token: next, Secret: secret}, nil
}

// RevokeToken revokes token id: it is refused from the next request on,
// on every node.
func (s *Service) RevokeToken(ctx context.Context, by account.Principal, partnerID, tokenID string) error {
	if err := admin(by, "revoke token"); err != nil {
		return err
	}
	p, t, err := s.token(ctx, partnerID, tokenID)
	if err != nil {
		return err
	}
	if err := s.d.Store.RevokeToken(ctx, t.ID, s.d.Clock.Now()); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "partner token revoked", "partner", p.ID, "token", t.ID, "by", by.Pseudonym)
	return nil
}

// token finds token id (its ID or its hint) of partner partnerID.
func (s *Service) token(ctx context.Context, partnerID, tokenID string) (Partner, Token, error) {
	p, err := s.find(ctx, partnerID)
	if err != nil {
		return Partner{}, Token{}, err
	}
	toks, err := s.d.Store.Tokens(ctx, p.ID)
	if err != nil {
		return Partner{}, Token{}, err
	}
	for _, t := range toks {
		if t.ID == tokenID || t.Hint == tokenID {
			return p, t, nil
		}
	}
	return Partner{}, Token{}, fmt.Errorf("partner %s: token %q: %w", p.ID, tokenID, guichet.ErrNotFound)
}

// Authenticate returns the caller holding secret: a token neither revoked
// nor expired, of a partner not disabled; anything else fails with
// guichet.ErrUnauthenticated (which token, or why, is not said). Every
// success is counted (see Flush).
func (s *Service) Authenticate(ctx context.Context, secret string) (Caller, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Caller{}, fmt.Errorf("partner: malformed token: %w", guichet.ErrUnauthenticated)
	}
	t, p, err := s.d.Store.TokenByHash(ctx, Hash(secret))
	if err != nil {
		if errors.Is(err, guichet.ErrNotFound) {
			return Caller{}, fmt.Errorf("partner: unknown token: %w", guichet.ErrUnauthenticated)
		}
		return Caller{}, err
	}
	now := s.d.Clock.Now()
	if !t.Usable(now) || p.Disabled() {
		return Caller{}, fmt.Errorf("partner: token %s refused: %w", t.ID, guichet.ErrUnauthenticated)
	}
	s.mu.Lock()
	u := s.uses[t.ID]
	u.N++
	u.Last = now
	s.uses[t.ID] = u
	s.mu.Unlock()
	return Caller{Partner: p, Token: t}, nil
}

// Flush writes the uses counted since the last flush, in one statement
// batch. Uses are lost if the process dies before its flush: at most
// FlushEvery of them.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	uses := s.uses
	s.uses = map[string]Use{}
	s.mu.Unlock()
	if len(uses) == 0 {
		return nil
	}
	if err := s.d.Store.AddTokenUses(ctx, uses); err != nil {
		// Put them back for the next flush.
		s.mu.Lock()
		for id, u := range uses {
			c := s.uses[id]
			c.N += u.N
			if u.Last.After(c.Last) {
				c.Last = u.Last
			}
			s.uses[id] = c
		}
		s.mu.Unlock()
		return fmt.Errorf("partner: token uses: %w", err)
	}
	return nil
}

// FlushEvery is how often Run writes the uses counted.
const FlushEvery = 2 * time.Second

// Run flushes the uses every FlushEvery until ctx ends, then once more.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.Flush(context.WithoutCancel(ctx)); err != nil {
				s.d.Logger.WarnContext(ctx, "partner token uses", "err", err)
			}
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.WarnContext(ctx, "partner token uses", "err", err)
			}
		}
	}
}
