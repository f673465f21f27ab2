package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/guichet/guichet"
)

// Passkeys (WebAuthn) are an alternative second factor: an agent signs in
// with password + passkey instead of password + TOTP code. Ceremonies are
// begun and finished on the same server-side session, which holds the
// challenge between the two; a challenge is used once.

// maxCeremonyJSON bounds the JSON an authenticator's answer may take.
const maxCeremonyJSON = 64 << 10

// waUser presents an agent to the WebAuthn library.
type waUser struct {
	a     Agent
	creds []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return []byte(u.a.ID) }
func (u waUser) WebAuthnName() string                       { return u.a.ServiceNumber }
func (u waUser) WebAuthnDisplayName() string                { return u.a.Name }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) waUser(ctx context.Context, a Agent) (waUser, error) {
	pks, err := s.d.Store.Passkeys(ctx, a.ID)
	if err != nil {
		return waUser{}, err
	}
	u := waUser{a: a}
	for _, p := range pks {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Data, &c); err != nil {
			return waUser{}, fmt.Errorf("passkey data: %w", err)
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

// errCeremony is a passkey answer that does not verify.
var errCeremony = fmt.Errorf("account: passkey refused: %w", guichet.ErrInvalid)

// BeginPasskeyRegistration starts registering a passkey for the signed-in
// principal and returns the options (JSON) for navigator.credentials.create.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, p Principal) ([]byte, error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	a, err := s.d.Store.Agent(ctx, p.AgentID)
	if err != nil {
		return nil, fmt.Errorf("account: passkey registration: %w", err)
	}
	u, err := s.waUser(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("account: passkey registration: %w", err)
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sd, err := s.wa.BeginRegistration(u,
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred,
		}))
	if err != nil {
		return nil, fmt.Errorf("account: passkey registration: %w", err)
	}
	return s.saveCeremony(ctx, p.SessionID, sd, opts)
}

// FinishPasskeyRegistration verifies the authenticator's answer (the JSON
// of the PublicKeyCredential) to the ceremony begun on this session and
// stores the passkey under name. A bad answer fails with guichet.ErrInvalid.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, p Principal, name string, body []byte) (Passkey, error) {
	if s.wa == nil {
		return Passkey{}, errNoPasskeys
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		name = "Passkey"
	}
	a, err := s.d.Store.Agent(ctx, p.AgentID)
	if err != nil {
		return Passkey{}, fmt.Errorf("account: passkey registration: %w", err)
	}
	sd, err := s.takeCeremony(ctx, p.SessionID)
	if err != nil {
		return Passkey{}, err
	}
	parsed, err := ParseCreation(body)
	if err != nil {
		return Passkey{}, err
	}
	u, err := s.waUser(ctx, a)
	if err != nil {
		return Passkey{}, fmt.Errorf("account: passkey registration: %w", err)
	}
	cred, err := s.wa.CreateCredential(u, sd, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", errCeremony, err)
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return Passkey{}, err
	}
	pk := Passkey{ID: cred.ID, AgentID: a.ID, Name: name, Data: data, CreatedAt: s.now()}
	if err := s.d.Store.AddPasskey(ctx, pk); err != nil {
		return Passkey{}, fmt.Errorf("account: passkey registration: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "agent registered a passkey", "agent", a.ID)
	return pk, nil
}

// RemovePasskey deletes one of the principal's passkeys.
func (s *Service) RemovePasskey(ctx context.Context, p Principal, id []byte) error {
	if err := s.d.Store.DeletePasskey(ctx, p.AgentID, id); err != nil {
		return fmt.Errorf("account: remove passkey: %w", err)
	}
	return nil
}

// BeginPasskeyLogin starts a passkey sign-in on the password-stage session
// of token and returns the options (JSON) for navigator.credentials.get.
// An agent without passkeys gets guichet.ErrNotFound.
func (s *Service) BeginPasskeyLogin(ctx context.Context, token string) ([]byte, error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	pa, err := s.PreAuth(ctx, token)
	if err != nil {
		return nil, err
	}
	u, err := s.waUser(ctx, pa.Agent)
	if err != nil {
		return nil, fmt.Errorf("account: passkey login: %w", err)
	}
	if len(u.creds) == 0 {
		return nil, fmt.Errorf("account: passkey login: no passkey: %w", guichet.ErrNotFound)
	}
	opts, sd, err := s.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("account: passkey login: %w", err)
	}
	return s.saveCeremony(ctx, pa.Session.ID, sd, opts)
}

// FinishPasskeyLogin verifies the assertion (JSON of the
// PublicKeyCredential) for the ceremony begun on the password-stage
// session of token and, if it holds, returns the token of a signed-in
// session as VerifyCode does. A refused assertion counts as a failure.
func (s *Service) FinishPasskeyLogin(ctx context.Context, token string, body []byte) (string, error) {
	if s.wa == nil {
		return "", errNoPasskeys
	}
	pa, err := s.PreAuth(ctx, token)
	if err != nil {
		return "", err
	}
	sd, err := s.takeCeremony(ctx, pa.Session.ID)
	if err != nil {
		return "", err
	}
	u, err := s.waUser(ctx, pa.Agent)
	if err != nil {
		return "", fmt.Errorf("account: passkey login: %w", err)
	}
	parsed, err := ParseAssertion(body)
	var cred *webauthn.Credential
	if err == nil {
		cred, err = s.wa.ValidateLogin(u, sd, parsed)
	}
	if err != nil {
		s.failure(ctx, pa.Agent)
		return "", fmt.Errorf("%w: %v", errCeremony, err)
	}
	if data, err := json.Marshal(cred); err == nil {
		if err := s.d.Store.UpdatePasskey(ctx, pa.Agent.ID, cred.ID, data, s.now()); err != nil {
			s.d.Logger.WarnContext(ctx, "update passkey", "agent", pa.Agent.ID, "err", err)
		}
	}
	return s.promote(ctx, pa)
}

// ParseCreation decodes an authenticator's registration answer (JSON).
// It is the entry point of agent-supplied registration data.
func ParseCreation(body []byte) (*protocol.ParsedCredentialCreationData, error) {
	if len(body) > maxCeremonyJSON {
		return nil, errCeremony
	}
	p, err := protocol.ParseCredentialCreationResponseBody(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCeremony, err)
	}
	return p, nil
}

// ParseAssertion decodes an authenticator's sign-in answer (JSON). It is
// the entry point of agent-supplied assertion data.
func ParseAssertion(body []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(body) > maxCeremonyJSON {
		return nil, errCeremony
	}
	p, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCeremony, err)
	}
	return p, nil
}

// saveCeremony keeps sd on the session and returns the options as JSON
// for the browser.
func (s *Service) saveCeremony(ctx context.Context, sessionID string, sd *webauthn.SessionData, opts any) ([]byte, error) {
	data, err := json.Marshal(sd)
	if err != nil {
		return nil, err
	}
	if err := s.d.Store.SetSessionChallenge(ctx, sessionID, data); err != nil {
		return nil, fmt.Errorf("account: passkey ceremony: %w", err)
	}
	return json.Marshal(opts)
}

// takeCeremony returns and clears the session's pending ceremony.
func (s *Service) takeCeremony(ctx context.Context, sessionID string) (webauthn.SessionData, error) {
	sess, err := s.d.Store.Session(ctx, sessionID)
	if err != nil {
		if errors.Is(err, guichet.ErrNotFound) {
			return webauthn.SessionData{}, errNoSession
		}
		return webauthn.SessionData{}, err
	}
	if len(sess.Challenge) == 0 {
		return webauthn.SessionData{}, fmt.Errorf("account: no passkey ceremony under way: %w", guichet.ErrConflict)
	}
	if err := s.d.Store.SetSessionChallenge(ctx, sessionID, nil); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("account: passkey ceremony: %w", err)
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(sess.Challenge, &sd); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("account: passkey ceremony: %w", err)
	}
	if s.now().After(sd.Expires) && !sd.Expires.IsZero() {
		return webauthn.SessionData{}, fmt.Errorf("account: passkey ceremony expired: %w", guichet.ErrConflict)
	}
	return sd, nil
}
