package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/station"
)

// Config is how the account service behaves. DefaultConfig gives the
// values the issue asks for.
type Config struct {
	// PublicURL is the address agents use (https://guichet.example); its
	// host is the WebAuthn relying party ID, its origin the only one
	// passkey ceremonies accept. Required.
	PublicURL string
	// Issuer names the service in authenticator apps.
	Issuer string
	// IdleTimeout ends a session not used for that long (30 min).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session that long after sign-in (10 h).
	AbsoluteTimeout time.Duration
	// PreAuthTimeout bounds the time between password and second factor.
	PreAuthTimeout time.Duration
	// EnrolmentTTL is how long an activation link works (72 h).
	EnrolmentTTL time.Duration
	// MaxFailures consecutive failures lock the account for LockBase,
	// doubling at each further failure up to LockMax.
	MaxFailures       int
	LockBase, LockMax time.Duration
	// Argon2 are the cost parameters of new password hashes.
	Argon2 Argon2
	// RefusalFloor is the least time a refused sign-in takes, measured on
	// the real clock (300 ms). Refusals cost one password hash whatever
	// the reason, but a known account's refusal also records the failure;
	// answering no refusal before the floor hides that difference, and
	// slows guessing. Zero or negative: no floor.
	RefusalFloor time.Duration
}

// DefaultConfig returns the production settings for publicURL.
func DefaultConfig(publicURL string) Config {
	return Config{
		PublicURL:       publicURL,
		Issuer:          "guichet",
		IdleTimeout:     30 * time.Minute,
		AbsoluteTimeout: 10 * time.Hour,
		PreAuthTimeout:  5 * time.Minute,
		EnrolmentTTL:    72 * time.Hour,
		MaxFailures:     5,
		LockBase:        time.Minute,
		LockMax:         time.Hour,
		Argon2:          DefaultArgon2,
		RefusalFloor:    300 * time.Millisecond,
	}
}

// Vault seals and opens TOTP secrets (internal/vault satisfies it).
type Vault interface {
	Seal(plaintext, aad []byte) (casefile.Sealed, error)
	Open(s casefile.Sealed, aad []byte) ([]byte, error)
}

// IDs draws new UUIDv7 identifiers.
type IDs interface{ New() string }

// Deps are what the service is built from.
type Deps struct {
	Store  Store
	Vault  Vault
	Clock  guichet.Clock // nil: the system clock
	Rand   io.Reader     // nil: crypto/rand
	IDs    IDs
	Logger *slog.Logger // nil: discard
}

// Service manages agents' accounts, credentials and sessions. It is safe
// for concurrent use.
type Service struct {
	cfg   Config
	d     Deps
	dummy string // a hash verified when the login is unknown, for equal cost
	wa    *webauthn.WebAuthn
}

// ErrSignInRefused is the one error of a refused sign-in, whatever the
// cause (unknown login, wrong password, locked or disabled account), so
// that pages cannot tell them apart. It wraps guichet.ErrUnauthenticated.
var ErrSignInRefused = fmt.Errorf("account: sign-in refused: %w", guichet.ErrUnauthenticated)

// errNoSession is returned for a missing, expired or wrong-stage session.
var errNoSession = fmt.Errorf("account: no valid session: %w", guichet.ErrUnauthenticated)

// New builds the service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Vault == nil || d.IDs == nil {
		return nil, errors.New("account: Store, Vault and IDs are required")
	}
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	def := DefaultConfig(cfg.PublicURL)
	if cfg.Issuer == "" {
		cfg.Issuer = def.Issuer
	}
	for _, p := range []struct{ v, def *time.Duration }{
		{&cfg.IdleTimeout, &def.IdleTimeout}, {&cfg.AbsoluteTimeout, &def.AbsoluteTimeout},
		{&cfg.PreAuthTimeout, &def.PreAuthTimeout}, {&cfg.EnrolmentTTL, &def.EnrolmentTTL},
		{&cfg.LockBase, &def.LockBase}, {&cfg.LockMax, &def.LockMax},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = def.MaxFailures
	}
	if cfg.Argon2 == (Argon2{}) {
		cfg.Argon2 = def.Argon2
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("account: PublicURL %q is not an absolute http(s) URL", cfg.PublicURL)
	}
	s := &Service{cfg: cfg, d: d}
	if s.dummy, err = unmatchableHash(cfg.Argon2, d.Rand); err != nil {
		return nil, err
	}
	// WebAuthn needs a domain name: on an IP address (a demo on
	// 127.0.0.1) passkeys are off and TOTP is the only second factor.
	if net.ParseIP(u.Hostname()) == nil {
		s.wa, err = webauthn.New(&webauthn.Config{
			RPID:          u.Hostname(),
			RPDisplayName: cfg.Issuer,
			RPOrigins:     []string{u.Scheme + "://" + u.Host},
		})
		if err != nil {
			return nil, fmt.Errorf("account: webauthn: %w", err)
		}
	}
	return s, nil
}

// PasskeysEnabled reports whether passkeys can be used (PublicURL names
// a domain, not an IP address).
func (s *Service) PasskeysEnabled() bool { return s.wa != nil }

// errNoPasskeys is returned by passkey ceremonies when they are off.
var errNoPasskeys = fmt.Errorf("account: passkeys need a domain name in the public URL: %w", guichet.ErrNotFound)

// Config returns the service's settings, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.d.Clock.Now() }

// NewAgent is what an administrator gives to create an account.
type NewAgent struct {
	ServiceNumber string
	Name          string
	UnitID        string
	Role          Role
}

var serviceNumberRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$`)

// CreateAgent creates an account and returns it with the token of its
// one-time activation link (see EnrolmentPath). Invalid fields fail with a
// *guichet.ValidationError on "service_number", "name", "unit" or "role";
// a service number in use with guichet.ErrConflict.
func (s *Service) CreateAgent(ctx context.Context, n NewAgent) (Agent, string, error) {
	n.ServiceNumber = strings.TrimSpace(n.ServiceNumber)
	n.Name = strings.TrimSpace(n.Name)
	var v guichet.ValidationError
	if !serviceNumberRE.MatchString(n.ServiceNumber) {
		v.Add("service_number", "agent.err.service_number")
	}
	if n.Name == "" || utf8.RuneCountInString(n.Name) > 100 || !utf8.ValidString(n.Name) {
		v.Add("name", "agent.err.name")
	}
	if !n.Role.Valid() {
		v.Add("role", "agent.err.role")
	}
	units, err := s.d.Store.ListUnits(ctx)
	if err != nil {
		return Agent{}, "", fmt.Errorf("account: create agent: %w", err)
	}
	if !slices.ContainsFunc(units, func(u station.Unit) bool { return u.ID == n.UnitID }) {
		v.Add("unit", "agent.err.unit")
	}
	if err := v.Err(); err != nil {
		return Agent{}, "", err
	}
	if _, err := s.d.Store.AgentByServiceNumber(ctx, n.ServiceNumber); err == nil {
		return Agent{}, "", fmt.Errorf("account: service number %s already in use: %w", n.ServiceNumber, guichet.ErrConflict)
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return Agent{}, "", fmt.Errorf("account: create agent: %w", err)
	}
	now := s.now()
	a := Agent{ID: s.d.IDs.New(), ServiceNumber: n.ServiceNumber, Name: n.Name, UnitID: n.UnitID, Role: n.Role, CreatedAt: now}
	token, hash, err := s.newToken()
	if err != nil {
		return Agent{}, "", err
	}
	e := Enrolment{TokenHash: hash, AgentID: a.ID, ExpiresAt: now.Add(s.cfg.EnrolmentTTL)}
	// Pseudonyms are short; on a collision draw again, longer after a few.
	for i := 0; ; i++ {
		if a.Pseudonym, err = s.pseudonym(4 + min(i/4, 2)); err != nil {
			return Agent{}, "", err
		}
		err = s.d.Store.CreateAgent(ctx, a, e)
		if !errors.Is(err, guichet.ErrConflict) || i >= 12 {
			break
		}
	}
	if err != nil {
		return Agent{}, "", fmt.Errorf("account: create agent %s: %w", a.ServiceNumber, err)
	}
	s.d.Logger.InfoContext(ctx, "agent created", "agent", a.ID, "pseudonym", a.Pseudonym, "role", a.Role)
	return a, token, nil
}

// EnrolmentPath is the local address of the activation link of token.
func EnrolmentPath(token string) string { return "/agent/activation/" + token }

// UnitByCode returns the unit with this code (guichet.ErrNotFound if none).
func (s *Service) UnitByCode(ctx context.Context, code string) (station.Unit, error) {
	units, err := s.d.Store.ListUnits(ctx)
	if err != nil {
		return station.Unit{}, err
	}
	for _, u := range units {
		if strings.EqualFold(u.Code, code) {
			return u, nil
		}
	}
	return station.Unit{}, fmt.Errorf("account: unit %q: %w", code, guichet.ErrNotFound)
}

// Agents lists every account by service number.
func (s *Service) Agents(ctx context.Context) ([]Agent, error) { return s.d.Store.ListAgents(ctx) }

// AgentByServiceNumber returns one account.
func (s *Service) AgentByServiceNumber(ctx context.Context, sn string) (Agent, error) {
	return s.d.Store.AgentByServiceNumber(ctx, strings.TrimSpace(sn))
}

// ResetAgent wipes the agent's password and second factors, ends their
// sessions and returns the token of a new activation link.
func (s *Service) ResetAgent(ctx context.Context, serviceNumber string) (string, error) {
	a, err := s.AgentByServiceNumber(ctx, serviceNumber)
	if err != nil {
		return "", fmt.Errorf("account: reset %s: %w", serviceNumber, err)
	}
	token, hash, err := s.newToken()
	if err != nil {
		return "", err
	}
	if err := s.d.Store.ResetAgent(ctx, a.ID, Enrolment{TokenHash: hash, AgentID: a.ID, ExpiresAt: s.now().Add(s.cfg.EnrolmentTTL)}); err != nil {
		return "", fmt.Errorf("account: reset %s: %w", serviceNumber, err)
	}
	s.d.Logger.InfoContext(ctx, "agent factors reset", "agent", a.ID)
	return token, nil
}

// SetDisabled disables (ending every session) or re-enables an agent.
func (s *Service) SetDisabled(ctx context.Context, serviceNumber string, disabled bool) error {
	a, err := s.AgentByServiceNumber(ctx, serviceNumber)
	if err != nil {
		return fmt.Errorf("account: disable %s: %w", serviceNumber, err)
	}
	if err := s.d.Store.SetAgentDisabled(ctx, a.ID, disabled); err != nil {
		return fmt.Errorf("account: disable %s: %w", serviceNumber, err)
	}
	s.d.Logger.InfoContext(ctx, "agent disabled state changed", "agent", a.ID, "disabled", disabled)
	return nil
}

// newToken draws a 256-bit token and returns it (base64url) with its
// stored form (hex SHA-256).
func (s *Service) newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, b); err != nil {
		return "", "", fmt.Errorf("account: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenHash(token), nil
}

// tokenHash is the stored form of a token.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// wellFormed reports whether token could be one of ours, so that garbage
// costs no database query.
func wellFormed(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil
}

// crockford is Crockford's base32 alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// randomCrockford draws n Crockford symbols.
func (s *Service) randomCrockford(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.d.Rand, b); err != nil {
		return "", fmt.Errorf("account: random: %w", err)
	}
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return string(b), nil
}

// pseudonym draws an agent's public handle of n symbols (4 to 6).
func (s *Service) pseudonym(n int) (string, error) { return s.randomCrockford(n) }

// scope returns the units whose cases a's principal may open.
func scope(units []station.Unit, a Agent) []string {
	switch a.Role {
	case RoleAgent:
		return []string{a.UnitID}
	case RoleSupervisor:
		children := make(map[string][]string)
		for _, u := range units {
			if u.ParentID != "" {
				children[u.ParentID] = append(children[u.ParentID], u.ID)
			}
		}
		out := []string{a.UnitID}
		seen := map[string]bool{a.UnitID: true}
		for i := 0; i < len(out); i++ {
			for _, c := range children[out[i]] {
				if !seen[c] { // a cycle in ParentID must not loop forever
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		return out
	}
	return nil
}
