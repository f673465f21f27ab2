package account

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// TOTP codes follow RFC 6238 as authenticator apps expect by default:
// SHA-1, 6 digits, 30-second steps; one step of clock skew is allowed on
// either side.
const (
	totpPeriod  = 30
	totpDigits  = 6
	totpSkew    = 1
	secretBytes = 20 // 160 bits, RFC 4226's recommendation
	// RecoveryCodes is how many recovery codes an agent holds.
	RecoveryCodes = 10
	recoveryLen   = 10 // Crockford symbols: 50 bits each
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// matchTOTP returns the time step whose code is code, among the steps
// within the skew of now that are later than after.
func matchTOTP(secret, code string, now time.Time, after int64) (int64, bool) {
	cur := now.Unix() / totpPeriod
	for _, d := range []int64{0, -totpSkew, totpSkew} {
		step := cur + d
		if step <= after {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// TOTPCode returns the code of secret (base32) at t, as an authenticator
// app shows it. For demos and tests.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// totpAAD binds a sealed TOTP secret to its agent.
func totpAAD(agentID string) []byte { return []byte("agent/" + agentID + "/totp") }

func (s *Service) openTOTP(agentID string, sealed casefile.Sealed) (string, error) {
	b, err := s.d.Vault.Open(sealed, totpAAD(agentID))
	if err != nil {
		return "", fmt.Errorf("account: open totp secret of %s: %w", agentID, err)
	}
	return string(b), nil
}

// newTOTPSecret draws a secret and seals it for agentID.
func (s *Service) newTOTPSecret(agentID string) (casefile.Sealed, error) {
	raw := make([]byte, secretBytes)
	if _, err := io.ReadFull(s.d.Rand, raw); err != nil {
		return casefile.Sealed{}, fmt.Errorf("account: totp secret: %w", err)
	}
	return s.SealTOTP(agentID, b32.EncodeToString(raw))
}

// SealTOTP seals a base32 TOTP secret for agentID, as stores keep it.
func (s *Service) SealTOTP(agentID, secret string) (casefile.Sealed, error) {
	sealed, err := s.d.Vault.Seal([]byte(secret), totpAAD(agentID))
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("account: seal totp secret: %w", err)
	}
	return sealed, nil
}

// TOTPURI is the otpauth:// address an authenticator app reads from a QR
// code.
func (s *Service) TOTPURI(serviceNumber, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.cfg.Issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	label := url.PathEscape(s.cfg.Issuer + ":" + serviceNumber)
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// GroupSecret writes a base32 secret in groups of four for typing.
func GroupSecret(secret string) string { return group(secret, 4, " ") }

func group(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// normalizeCode removes spaces and dashes and reads Crockford's
// look-alikes (O as 0, I and L as 1), upper-cased.
func normalizeCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r == 'O':
			b.WriteByte('0')
		case r == 'I' || r == 'L':
			b.WriteByte('1')
		case r < 128 && strings.ContainsRune(crockford, r):
			b.WriteRune(r)
		default:
			return "" // not a code: no match possible
		}
		if b.Len() > 32 {
			return ""
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// recoveryHash is the stored form of a recovery code: 50 random bits need
// no slow hash, and the agent ID keeps equal codes of two agents apart.
func recoveryHash(agentID, normalized string) string {
	h := sha256.Sum256([]byte("guichet recovery code\x00" + agentID + "\x00" + normalized))
	return hex.EncodeToString(h[:])
}

// newRecoveryCodes draws RecoveryCodes codes, returned as shown
// ("XXXXX-XXXXX") with their stored hashes.
func (s *Service) newRecoveryCodes(agentID string) (codes, hashes []string, err error) {
	for range RecoveryCodes {
		c, err := s.randomCrockford(recoveryLen)
		if err != nil {
			return nil, nil, err
		}
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, recoveryHash(agentID, c))
	}
	return codes, hashes, nil
}

// EnrolmentView is where an agent stands on their activation page.
type EnrolmentView struct {
	Agent Agent
	// NeedPassword is true until a password is chosen; then the TOTP
	// secret is offered.
	NeedPassword bool
	Secret       string // base32, when !NeedPassword
	URI          string // otpauth://, when !NeedPassword
}

// Enrolment returns the state of the activation link of token. An
// unknown, used or expired link, or a disabled agent's, fails with
// guichet.ErrNotFound.
func (s *Service) Enrolment(ctx context.Context, token string) (EnrolmentView, error) {
	e, a, err := s.enrolment(ctx, token)
	if err != nil {
		return EnrolmentView{}, err
	}
	v := EnrolmentView{Agent: a, NeedPassword: a.PasswordHash == ""}
	if v.NeedPassword {
		return v, nil
	}
	if len(e.TOTP.Ciphertext) == 0 {
		if e.TOTP, err = s.newTOTPSecret(a.ID); err != nil {
			return EnrolmentView{}, err
		}
		if err := s.d.Store.SetEnrolmentTOTP(ctx, e.TokenHash, e.TOTP); err != nil {
			return EnrolmentView{}, fmt.Errorf("account: enrolment: %w", err)
		}
	}
	if v.Secret, err = s.openTOTP(a.ID, e.TOTP); err != nil {
		return EnrolmentView{}, err
	}
	v.URI = s.TOTPURI(a.ServiceNumber, v.Secret)
	return v, nil
}

func (s *Service) enrolment(ctx context.Context, token string) (Enrolment, Agent, error) {
	notFound := fmt.Errorf("account: activation link: %w", guichet.ErrNotFound)
	if !wellFormed(token) {
		return Enrolment{}, Agent{}, notFound
	}
	e, err := s.d.Store.Enrolment(ctx, tokenHash(token))
	if errors.Is(err, guichet.ErrNotFound) {
		return Enrolment{}, Agent{}, notFound
	}
	if err != nil {
		return Enrolment{}, Agent{}, fmt.Errorf("account: activation link: %w", err)
	}
	if !s.now().Before(e.ExpiresAt) {
		return Enrolment{}, Agent{}, notFound
	}
	a, err := s.d.Store.Agent(ctx, e.AgentID)
	if err != nil {
		return Enrolment{}, Agent{}, fmt.Errorf("account: activation link: %w", err)
	}
	if a.Disabled {
		return Enrolment{}, Agent{}, notFound
	}
	return e, a, nil
}

// EnrolPassword sets the agent's password from the activation page.
// Policy failures are a *guichet.ValidationError on "password" or
// "password_confirm" (the two entries differ).
func (s *Service) EnrolPassword(ctx context.Context, token, password, confirm string) error {
	_, a, err := s.enrolment(ctx, token)
	if err != nil {
		return err
	}
	if a.PasswordHash != "" {
		return nil // already chosen: the page moves on to the code
	}
	if err := CheckPassword(password, a.ServiceNumber); err != nil {
		return err
	}
	if password != confirm {
		var v guichet.ValidationError
		v.Add("password_confirm", "agent.err.password_mismatch")
		return &v
	}
	h, err := hashPassword(password, s.cfg.Argon2, s.d.Rand)
	if err != nil {
		return err
	}
	if err := s.d.Store.SetPassword(ctx, a.ID, h); err != nil {
		return fmt.Errorf("account: enrol password: %w", err)
	}
	return nil
}

// EnrolTOTP confirms the secret offered on the activation page with a
// code from the agent's app. On success the link stops working, the
// agent's recovery codes (to show once) are returned with the token of a
// signed-in session. A wrong code is a *guichet.ValidationError on
// "code".
func (s *Service) EnrolTOTP(ctx context.Context, token, code string) (recovery []string, session string, err error) {
	e, a, err := s.enrolment(ctx, token)
	if err != nil {
		return nil, "", err
	}
	if a.PasswordHash == "" || len(e.TOTP.Ciphertext) == 0 {
		return nil, "", fmt.Errorf("account: enrol totp before password: %w", guichet.ErrConflict)
	}
	secret, err := s.openTOTP(a.ID, e.TOTP)
	if err != nil {
		return nil, "", err
	}
	c := normalizeCode(code)
	step, ok := matchTOTP(secret, c, s.now(), 0)
	if !ok || len(c) != totpDigits {
		var v guichet.ValidationError
		v.Add("code", "agent.err.code_wrong")
		return nil, "", &v
	}
	codes, hashes, err := s.newRecoveryCodes(a.ID)
	if err != nil {
		return nil, "", err
	}
	session, id, err := s.newToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	if err := s.d.Store.CompleteEnrolment(ctx, e.TokenHash, e.TOTP, step, hashes,
		Session{ID: id, AgentID: a.ID, Stage: StageFull, CreatedAt: now, LastSeen: now}); err != nil {
		return nil, "", fmt.Errorf("account: enrol totp: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "agent enrolled", "agent", a.ID)
	return codes, session, nil
}

// RegenerateRecoveryCodes replaces the principal's recovery codes and
// returns the new ones, to show once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p Principal) ([]string, error) {
	codes, hashes, err := s.newRecoveryCodes(p.AgentID)
	if err != nil {
		return nil, err
	}
	if err := s.d.Store.SetRecoveryCodes(ctx, p.AgentID, hashes); err != nil {
		return nil, fmt.Errorf("account: recovery codes: %w", err)
	}
	return codes, nil
}

// SecurityView is what the security page shows an agent.
type SecurityView struct {
	Agent        Agent
	Passkeys     []Passkey
	RecoveryLeft int
	// Sessions are the agent's live signed-in sessions, newest first.
	Sessions []ActiveSession
	// PasskeysEnabled is false when the public URL's host is an IP
	// address, where WebAuthn refuses to work.
	PasskeysEnabled bool
}

// Security returns the principal's second factors and live sessions.
func (s *Service) Security(ctx context.Context, p Principal) (SecurityView, error) {
	a, err := s.d.Store.Agent(ctx, p.AgentID)
	if err != nil {
		return SecurityView{}, fmt.Errorf("account: security: %w", err)
	}
	pks, err := s.d.Store.Passkeys(ctx, p.AgentID)
	if err != nil {
		return SecurityView{}, fmt.Errorf("account: security: %w", err)
	}
	n, err := s.d.Store.RecoveryCodesLeft(ctx, p.AgentID)
	if err != nil {
		return SecurityView{}, fmt.Errorf("account: security: %w", err)
	}
	sessions, err := s.activeSessions(ctx, p)
	if err != nil {
		return SecurityView{}, fmt.Errorf("account: security: %w", err)
	}
	return SecurityView{Agent: a, Passkeys: pks, RecoveryLeft: n, Sessions: sessions, PasskeysEnabled: s.wa != nil}, nil
}

// HashPassword hashes a password with the service's argon2id parameters,
// checking nothing (see CheckPassword).
func (s *Service) HashPassword(password string) (string, error) {
	return hashPassword(password, s.cfg.Argon2, s.d.Rand)
}

// Seeded is a fully enrolled account to create without the activation
// pages (demonstration instances, tests, benchmarks).
type Seeded struct {
	NewAgent
	Password string
	// PasswordHash, if set, is stored instead of hashing Password (from
	// HashPassword): seeding many accounts with one password hashes once.
	PasswordHash string
	TOTPSecret   string // base32
	Recovery     []string
}

// Seed creates a fully enrolled agent with a known password and TOTP
// secret, and optionally recovery codes (as shown, "XXXXX-XXXXX"). It is
// for demonstration instances and tests; production accounts go through
// CreateAgent and the activation link.
func (s *Service) Seed(ctx context.Context, sd Seeded) (Agent, error) {
	a, token, err := s.CreateAgent(ctx, sd.NewAgent)
	if err != nil {
		return Agent{}, err
	}
	if sd.PasswordHash != "" {
		if err := s.d.Store.SetPassword(ctx, a.ID, sd.PasswordHash); err != nil {
			return Agent{}, err
		}
	} else if err := s.EnrolPassword(ctx, token, sd.Password, sd.Password); err != nil {
		return Agent{}, err
	}
	e, err := s.d.Store.Enrolment(ctx, tokenHash(token))
	if err != nil {
		return Agent{}, err
	}
	sealed, err := s.SealTOTP(a.ID, sd.TOTPSecret)
	if err != nil {
		return Agent{}, err
	}
	var hashes []string
	for _, c := range sd.Recovery {
		hashes = append(hashes, recoveryHash(a.ID, normalizeCode(c)))
	}
	// The seeded session is dropped at once: seeding signs nobody in.
	_, id, err := s.newToken()
	if err != nil {
		return Agent{}, err
	}
	now := s.now()
	if err := s.d.Store.CompleteEnrolment(ctx, e.TokenHash, sealed, 0, hashes, Session{ID: id, AgentID: a.ID, Stage: StageFull, CreatedAt: now, LastSeen: now}); err != nil {
		return Agent{}, err
	}
	if err := s.d.Store.DeleteSession(ctx, id); err != nil {
		return Agent{}, err
	}
	return s.d.Store.Agent(ctx, a.ID)
}
