package account

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/station"
)

// Agent is a back-office account as stores keep it. Credentials are kept
// only in forms that cannot be used to sign in: the password as an
// argon2id PHC string, the TOTP secret sealed by the vault, recovery codes
// hashed.
type Agent struct {
	ID            string // UUIDv7
	ServiceNumber string // login, unique
	Pseudonym     string // unique, 4–6 Crockford base32 characters
	Name          string
	UnitID        string
	Role          Role
	// PasswordHash is an argon2id PHC string, or "" before enrolment.
	PasswordHash string
	// TOTP is the sealed TOTP secret; empty before enrolment.
	TOTP casefile.Sealed
	// TOTPStep is the last time step whose code was accepted; codes of
	// that step or earlier are refused (replay).
	TOTPStep    int64
	Disabled    bool
	Failures    int       // consecutive failed sign-in attempts
	LockedUntil time.Time // zero when not locked
	CreatedAt   time.Time
}

// Enrolled reports whether the agent has a password and a second factor.
func (a Agent) Enrolled() bool { return a.PasswordHash != "" && len(a.TOTP.Ciphertext) > 0 }

// Enrolment is a pending one-time activation link. Only the SHA-256 of its
// token is stored.
type Enrolment struct {
	TokenHash string
	AgentID   string
	ExpiresAt time.Time
	// TOTP is the sealed secret offered on the QR code, set once the
	// password is chosen; it becomes the agent's on confirmation.
	TOTP casefile.Sealed
}

// Stage is how far a session has authenticated.
type Stage string

// Stages of a session: after the password, then after the second factor.
const (
	StagePassword Stage = "password"
	StageFull     Stage = "full"
)

// Session is a server-side sign-in session. Its ID is the hex SHA-256 of
// the token held by the browser, so a stolen database opens no session.
type Session struct {
	ID        string
	AgentID   string
	Stage     Stage
	CreatedAt time.Time
	LastSeen  time.Time
	// Challenge is the pending WebAuthn ceremony (JSON), if any.
	Challenge []byte
}

// Expiry says which sessions and activation links are past their
// deadline (see Store.DeleteExpired). Times compare as the service's
// checks do: a deadline reached at the very instant is not yet passed,
// except for activation links, which stop working at ExpiresAt.
type Expiry struct {
	// A signed-in session last seen before IdleBefore, or created before
	// StartedBefore, is expired.
	IdleBefore, StartedBefore time.Time
	// A password-stage session last seen or created before PreAuthBefore
	// is expired.
	PreAuthBefore time.Time
	// An activation link whose ExpiresAt is at or before LinksAt is expired.
	LinksAt time.Time
}

// Purged counts what Store.DeleteExpired removed.
type Purged struct {
	Sessions   int
	Enrolments int
}

// Passkey is a WebAuthn credential registered by an agent.
type Passkey struct {
	ID        []byte // the credential ID, unique
	AgentID   string
	Name      string
	Data      []byte // the library's credential as JSON (public key, counters)
	CreatedAt time.Time
	LastUsed  time.Time
}

// Store is what the account service needs from a database, one part per
// area of the service. Every method MUST be atomic. Errors wrap guichet
// kinds: an unknown row guichet.ErrNotFound, a duplicate
// guichet.ErrConflict.
type Store interface {
	UnitDirectory
	AgentStore
	EnrolmentStore
	PasskeyStore
	SessionStore
}

// UnitDirectory is what accounts read of units: codes and scopes.
type UnitDirectory interface {
	// ListUnits returns every unit (for unit codes and supervisors' scopes).
	ListUnits(ctx context.Context) ([]station.Unit, error)
	// Unit returns one unit by ID.
	Unit(ctx context.Context, id string) (station.Unit, error)
}

// AgentStore keeps agents, their passwords and sign-in failures.
type AgentStore interface {
	// CreateAgent stores a new agent with its first enrolment. A duplicate
	// ID, service number or pseudonym fails with guichet.ErrConflict, an
	// unknown unit with guichet.ErrNotFound.
	CreateAgent(ctx context.Context, a Agent, e Enrolment) error
	// Agent returns the agent with this ID.
	Agent(ctx context.Context, id string) (Agent, error)
	// AgentByServiceNumber returns the agent with this service number.
	AgentByServiceNumber(ctx context.Context, serviceNumber string) (Agent, error)
	// ListAgents returns every agent by service number. Never nil.
	ListAgents(ctx context.Context) ([]Agent, error)
	// SetAgentDisabled disables or re-enables an agent. Disabling MUST
	// delete the agent's sessions in the same transaction.
	SetAgentDisabled(ctx context.Context, id string, disabled bool) error
	// ResetAgent wipes the agent's password, TOTP secret and step,
	// recovery codes, passkeys, sessions, failures, lock and enrolments,
	// then stores e, all in one transaction.
	ResetAgent(ctx context.Context, id string, e Enrolment) error
	// SetPassword replaces the agent's password hash.
	SetPassword(ctx context.Context, id, hash string) error
	// RecordFailure adds one to the agent's consecutive failures and
	// returns the new count. It MUST be atomic under concurrent calls.
	RecordFailure(ctx context.Context, id string) (int, error)
	// LockAgent sets the time before which the agent may not sign in.
	LockAgent(ctx context.Context, id string, until time.Time) error
	// ClearFailures resets the failures count and the lock.
	ClearFailures(ctx context.Context, id string) error
	// UseTOTPStep records that the code of step was used. It MUST fail
	// with guichet.ErrConflict, changing nothing, unless step is greater
	// than the last step recorded: each code is accepted once.
	UseTOTPStep(ctx context.Context, id string, step int64) error
}

// EnrolmentStore keeps activation links, TOTP secrets being set up and
// recovery codes.
type EnrolmentStore interface {
	// Enrolment returns the pending enrolment whose token hashes to
	// tokenHash (expired ones included: the caller checks ExpiresAt).
	Enrolment(ctx context.Context, tokenHash string) (Enrolment, error)
	// SetEnrolmentTOTP stores the secret offered to the agent.
	SetEnrolmentTOTP(ctx context.Context, tokenHash string, totp casefile.Sealed) error
	// CompleteEnrolment, in one transaction: gives the agent the TOTP
	// secret with step as the last used, replaces their recovery codes
	// with hashes, deletes the enrolment (guichet.ErrNotFound if it is
	// gone: a link works once) and stores the new session s.
	CompleteEnrolment(ctx context.Context, tokenHash string, totp casefile.Sealed, step int64, hashes []string, s Session) error

	// SetRecoveryCodes replaces the agent's recovery codes by hashes.
	SetRecoveryCodes(ctx context.Context, agentID string, hashes []string) error
	// UseRecoveryCode marks the unused code hash of the agent as used at
	// at; an unknown or used code fails with guichet.ErrNotFound.
	UseRecoveryCode(ctx context.Context, agentID, hash string, at time.Time) error
	// RecoveryCodesLeft counts the agent's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, agentID string) (int, error)
}

// PasskeyStore keeps agents' WebAuthn credentials.
type PasskeyStore interface {
	// AddPasskey stores a credential; a duplicate ID fails with
	// guichet.ErrConflict.
	AddPasskey(ctx context.Context, p Passkey) error
	// Passkeys lists the agent's credentials by creation. Never nil.
	Passkeys(ctx context.Context, agentID string) ([]Passkey, error)
	// UpdatePasskey stores the credential's new data (signature counter)
	// and when it was used.
	UpdatePasskey(ctx context.Context, agentID string, id, data []byte, at time.Time) error
	// DeletePasskey removes one of the agent's credentials.
	DeletePasskey(ctx context.Context, agentID string, id []byte) error
}

// SessionStore keeps agents' server-side sessions.
type SessionStore interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session by ID.
	Session(ctx context.Context, id string) (Session, error)
	// ReplaceSession deletes session oldID and stores s in its place, in
	// one transaction; guichet.ErrNotFound if oldID is gone.
	ReplaceSession(ctx context.Context, oldID string, s Session) error
	// TouchSession sets the session's last-seen time.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// SetSessionChallenge stores the session's pending WebAuthn ceremony
	// (nil clears it).
	SetSessionChallenge(ctx context.Context, id string, challenge []byte) error
	// DeleteSession removes a session; removing a missing one is not an
	// error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteAgentSessions removes every session of the agent and returns
	// how many there were.
	DeleteAgentSessions(ctx context.Context, agentID string) (int, error)
	// AgentSessions lists the agent's sessions (every stage, expired ones
	// included: the caller checks deadlines) by creation. Never nil.
	AgentSessions(ctx context.Context, agentID string) ([]Session, error)
	// DeleteExpired removes, in one transaction, every session and
	// activation link past its deadline as x says, and returns how many
	// of each. It MUST leave every other row alone.
	DeleteExpired(ctx context.Context, x Expiry) (Purged, error)
}
