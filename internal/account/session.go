package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/station"
)

// Login checks a service number and password. On success it returns the
// token of a new session at the password stage, which only the second
// factor (VerifyCode, FinishPasskeyLogin) turns into a signed-in one.
//
// Every refusal — unknown login, wrong password, locked, disabled or
// not yet enrolled account — is ErrSignInRefused, costs one password hash
// and is answered no sooner than Config.RefusalFloor, so neither the
// answer nor its time tells which. A wrong password counts as a failure
// towards the lock.
func (s *Service) Login(ctx context.Context, serviceNumber, password string) (token string, err error) {
	began := time.Now()
	defer func() {
		if errors.Is(err, ErrSignInRefused) {
			s.padRefusal(ctx, began)
		}
	}()
	if len(password) > maxPasswordLen {
		password = password[:maxPasswordLen]
	}
	serviceNumber = strings.TrimSpace(serviceNumber)
	a, err := s.d.Store.AgentByServiceNumber(ctx, serviceNumber)
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return "", fmt.Errorf("account: login: %w", err)
	}
	stored := a.PasswordHash
	if err != nil || stored == "" {
		stored = s.dummy
	}
	ok, outdated, herr := verifyPassword(stored, password, s.cfg.Argon2)
	if herr != nil {
		s.d.Logger.ErrorContext(ctx, "agent password hash unreadable", "agent", a.ID, "err", herr)
		ok = false
	}
	now := s.now()
	switch {
	case err != nil || !a.Enrolled() || a.Disabled:
		return "", ErrSignInRefused
	case now.Before(a.LockedUntil):
		return "", ErrSignInRefused
	case !ok:
		s.failure(ctx, a)
		return "", ErrSignInRefused
	}
	if outdated {
		if h, err := hashPassword(password, s.cfg.Argon2, s.d.Rand); err == nil {
			if err := s.d.Store.SetPassword(ctx, a.ID, h); err != nil {
				s.d.Logger.WarnContext(ctx, "agent password rehash failed", "agent", a.ID, "err", err)
			}
		}
	}
	token, id, err := s.newToken()
	if err != nil {
		return "", err
	}
	if err := s.d.Store.CreateSession(ctx, Session{ID: id, AgentID: a.ID, Stage: StagePassword, CreatedAt: now, LastSeen: now}); err != nil {
		return "", fmt.Errorf("account: login: %w", err)
	}
	return token, nil
}

// padRefusal waits until RefusalFloor has passed since began (real time),
// or ctx is done.
func (s *Service) padRefusal(ctx context.Context, began time.Time) {
	wait := s.cfg.RefusalFloor - time.Since(began)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// failure counts a failed attempt of a and locks the account from the
// MaxFailures-th on: LockBase, doubled at each further failure, at most
// LockMax.
func (s *Service) failure(ctx context.Context, a Agent) {
	n, err := s.d.Store.RecordFailure(ctx, a.ID)
	if err != nil {
		s.d.Logger.ErrorContext(ctx, "record sign-in failure", "agent", a.ID, "err", err)
		return
	}
	if n < s.cfg.MaxFailures {
		return
	}
	d := s.cfg.LockMax
	if k := n - s.cfg.MaxFailures; k < 30 {
		d = min(s.cfg.LockBase<<k, s.cfg.LockMax)
	}
	if err := s.d.Store.LockAgent(ctx, a.ID, s.now().Add(d)); err != nil {
		s.d.Logger.ErrorContext(ctx, "lock agent", "agent", a.ID, "err", err)
		return
	}
	s.d.Logger.WarnContext(ctx, "agent sign-in locked", "agent", a.ID, "failures", n, "for", d.String())
}

// PreAuth is a session between password and second factor.
type PreAuth struct {
	Session  Session
	Agent    Agent
	Passkeys int // how many passkeys the agent may use instead of a code (0 when passkeys are off)
}

// PreAuth returns the password-stage session of token; a missing,
// expired or already complete session fails with an error wrapping
// guichet.ErrUnauthenticated.
func (s *Service) PreAuth(ctx context.Context, token string) (PreAuth, error) {
	sess, err := s.session(ctx, token, StagePassword)
	if err != nil {
		return PreAuth{}, err
	}
	a, err := s.d.Store.Agent(ctx, sess.AgentID)
	if err != nil {
		return PreAuth{}, fmt.Errorf("account: pre-auth: %w", err)
	}
	if a.Disabled || s.now().Before(a.LockedUntil) {
		_ = s.d.Store.DeleteSession(ctx, sess.ID)
		return PreAuth{}, ErrSignInRefused
	}
	pa := PreAuth{Session: sess, Agent: a}
	if s.wa != nil { // passkeys kept from a former domain name cannot be used
		pks, err := s.d.Store.Passkeys(ctx, a.ID)
		if err != nil {
			return PreAuth{}, fmt.Errorf("account: pre-auth: %w", err)
		}
		pa.Passkeys = len(pks)
	}
	return pa, nil
}

// session returns the live session of token at stage, deleting it if it
// has expired.
func (s *Service) session(ctx context.Context, token string, stage Stage) (Session, error) {
	if !wellFormed(token) {
		return Session{}, errNoSession
	}
	sess, err := s.d.Store.Session(ctx, tokenHash(token))
	if errors.Is(err, guichet.ErrNotFound) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("account: session: %w", err)
	}
	if sess.Stage != stage {
		return Session{}, errNoSession
	}
	if s.expired(sess, s.now()) {
		if err := s.d.Store.DeleteSession(ctx, sess.ID); err != nil {
			s.d.Logger.WarnContext(ctx, "delete expired session", "err", err)
		}
		return Session{}, errNoSession
	}
	return sess, nil
}

// VerifyCode completes a sign-in with a TOTP code (6 digits) or a
// recovery code, and returns the token of the signed-in session, which
// replaces the password-stage one (whose token stops working).
//
// A wrong or replayed code fails with a *guichet.ValidationError on field
// "code" and counts as a failure; when the failures lock the account, the
// session ends and ErrSignInRefused is returned.
func (s *Service) VerifyCode(ctx context.Context, token, code string) (string, error) {
	pa, err := s.PreAuth(ctx, token)
	if err != nil {
		return "", err
	}
	a := pa.Agent
	ok, err := s.checkCode(ctx, a, code)
	if err != nil {
		return "", err
	}
	if !ok {
		s.failure(ctx, a)
		if a, err := s.d.Store.Agent(ctx, a.ID); err == nil && s.now().Before(a.LockedUntil) {
			_ = s.d.Store.DeleteSession(ctx, pa.Session.ID)
			return "", ErrSignInRefused
		}
		var v guichet.ValidationError
		v.Add("code", "agent.err.code_wrong")
		return "", &v
	}
	return s.promote(ctx, pa)
}

// promote replaces a password-stage session with a signed-in one under a
// new token (so a token seen before sign-in is useless after) and clears
// the failures.
func (s *Service) promote(ctx context.Context, pa PreAuth) (string, error) {
	token, id, err := s.newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	if err := s.d.Store.ReplaceSession(ctx, pa.Session.ID, Session{ID: id, AgentID: pa.Agent.ID, Stage: StageFull, CreatedAt: now, LastSeen: now}); err != nil {
		if errors.Is(err, guichet.ErrNotFound) {
			return "", errNoSession
		}
		return "", fmt.Errorf("account: sign in: %w", err)
	}
	if pa.Agent.Failures > 0 || !pa.Agent.LockedUntil.IsZero() {
		if err := s.d.Store.ClearFailures(ctx, pa.Agent.ID); err != nil {
			s.d.Logger.WarnContext(ctx, "clear failures", "agent", pa.Agent.ID, "err", err)
		}
	}
	s.d.Logger.InfoContext(ctx, "agent signed in", "agent", pa.Agent.ID)
	return token, nil
}

// checkCode reports whether code is a valid TOTP code (never used) or an
// unused recovery code of a, using it up.
func (s *Service) checkCode(ctx context.Context, a Agent, code string) (bool, error) {
	c := normalizeCode(code)
	switch {
	case len(c) == totpDigits && isDigits(c):
		secret, err := s.openTOTP(a.ID, a.TOTP)
		if err != nil {
			return false, err
		}
		step, ok := matchTOTP(secret, c, s.now(), a.TOTPStep)
		if !ok {
			return false, nil
		}
		if err := s.d.Store.UseTOTPStep(ctx, a.ID, step); errors.Is(err, guichet.ErrConflict) {
			return false, nil // replayed concurrently
		} else if err != nil {
			return false, fmt.Errorf("account: totp: %w", err)
		}
		return true, nil
	case len(c) == recoveryLen:
		err := s.d.Store.UseRecoveryCode(ctx, a.ID, recoveryHash(a.ID, c), s.now())
		if errors.Is(err, guichet.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("account: recovery code: %w", err)
		}
		s.d.Logger.InfoContext(ctx, "agent used a recovery code", "agent", a.ID)
		return true, nil
	}
	return false, nil
}

// Authenticate returns the principal of a signed-in session token. An
// unknown, expired (idle or absolute), password-stage or revoked session,
// or a disabled agent, fails with an error wrapping
// guichet.ErrUnauthenticated. The session's last-seen time is refreshed
// at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	sess, err := s.session(ctx, token, StageFull)
	if err != nil {
		return Principal{}, err
	}
	a, err := s.d.Store.Agent(ctx, sess.AgentID)
	if err != nil {
		return Principal{}, fmt.Errorf("account: authenticate: %w", err)
	}
	if a.Disabled {
		return Principal{}, errNoSession
	}
	if now := s.now(); now.Sub(sess.LastSeen) >= time.Minute {
		if err := s.d.Store.TouchSession(ctx, sess.ID, now); err != nil {
			s.d.Logger.WarnContext(ctx, "touch session", "err", err)
		}
	}
	p := Principal{
		AgentID: a.ID, Pseudonym: a.Pseudonym, ServiceNumber: a.ServiceNumber, Name: a.Name,
		UnitID: a.UnitID, Role: a.Role, SessionID: sess.ID,
	}
	// Every back-office request comes here: read the agent's own unit, and
	// the whole list only when a supervisor's sub-units are needed.
	u, err := s.d.Store.Unit(ctx, a.UnitID)
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return Principal{}, fmt.Errorf("account: authenticate: %w", err)
	}
	p.UnitName = u.Name
	var units []station.Unit
	if a.Role == RoleSupervisor {
		if units, err = s.d.Store.ListUnits(ctx); err != nil {
			return Principal{}, fmt.Errorf("account: authenticate: %w", err)
		}
	}
	p.Units = scope(units, a)
	return p, nil
}

// Logout ends the session of token (at any stage). An unknown token is
// not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if !wellFormed(token) {
		return nil
	}
	if err := s.d.Store.DeleteSession(ctx, tokenHash(token)); err != nil {
		return fmt.Errorf("account: logout: %w", err)
	}
	return nil
}

// LogoutEverywhere ends every session of the principal's agent, this one
// included, and returns how many ended.
func (s *Service) LogoutEverywhere(ctx context.Context, p Principal) (int, error) {
	n, err := s.d.Store.DeleteAgentSessions(ctx, p.AgentID)
	if err != nil {
		return 0, fmt.Errorf("account: logout everywhere: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "agent signed out everywhere", "agent", p.AgentID, "sessions", n)
	return n, nil
}

// PurgeExpired deletes the sessions past their idle or absolute deadline
// (the shorter one for password-stage sessions) and the activation links
// past expiry, which would be refused anyway, and returns how many. The
// retention job calls it; the log gets the counts only.
func (s *Service) PurgeExpired(ctx context.Context) (Purged, error) {
	now := s.now()
	p, err := s.d.Store.DeleteExpired(ctx, Expiry{
		IdleBefore:    now.Add(-s.cfg.IdleTimeout),
		StartedBefore: now.Add(-s.cfg.AbsoluteTimeout),
		PreAuthBefore: now.Add(-s.cfg.PreAuthTimeout),
		LinksAt:       now,
	})
	if err != nil {
		return Purged{}, fmt.Errorf("account: purge expired: %w", err)
	}
	if p != (Purged{}) {
		s.d.Logger.InfoContext(ctx, "expired agent sessions and activation links deleted",
			"sessions", p.Sessions, "activation_links", p.Enrolments)
	}
	return p, nil
}

// ActiveSession is a live signed-in session as the agent's security page
// lists it. No network address is kept, so none is shown.
type ActiveSession struct {
	CreatedAt time.Time
	LastSeen  time.Time
	Current   bool // the session of the request
}

// expired reports whether a session is past its idle or absolute deadline.
func (s *Service) expired(sess Session, now time.Time) bool {
	idle, abs := s.cfg.IdleTimeout, s.cfg.AbsoluteTimeout
	if sess.Stage == StagePassword {
		idle, abs = s.cfg.PreAuthTimeout, s.cfg.PreAuthTimeout
	}
	return now.Sub(sess.LastSeen) > idle || now.Sub(sess.CreatedAt) > abs
}

// activeSessions returns the agent's live signed-in sessions, the newest
// first, marking the principal's own.
func (s *Service) activeSessions(ctx context.Context, p Principal) ([]ActiveSession, error) {
	all, err := s.d.Store.AgentSessions(ctx, p.AgentID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []ActiveSession{}
	for i := len(all) - 1; i >= 0; i-- {
		sess := all[i]
		if sess.Stage != StageFull || s.expired(sess, now) {
			continue
		}
		out = append(out, ActiveSession{CreatedAt: sess.CreatedAt, LastSeen: sess.LastSeen, Current: sess.ID == p.SessionID})
	}
	return out, nil
}
