package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

var _ account.Store = (*Store)(nil)

// The account store: agents, activation links, recovery codes, passkeys
// and sessions (migration 0002). A single statement runs on its own
// (autocommit); several run in one transaction.

// execer is the pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// change runs q on db; with one set, it fails with guichet.ErrNotFound
// unless q changed a row.
func change(ctx context.Context, db execer, one bool, q string, args ...any) error {
	tag, err := db.Exec(ctx, q, args...)
	if err != nil {
		return classify(err)
	}
	if one && tag.RowsAffected() == 0 {
		return guichet.ErrNotFound
	}
	return nil
}

// update runs one statement that must change a row, on the pool.
func (s *Store) update(ctx context.Context, what, q string, args ...any) error {
	if err := change(ctx, s.pool, true, q, args...); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// tx runs fn in a transaction, wrapping its error with what.
func (s *Store) tx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	if err := s.Transact(ctx, fn); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// CreateAgent stores a new agent with its first activation link.
func (s *Store) CreateAgent(ctx context.Context, a account.Agent, e account.Enrolment) error {
	return s.tx(ctx, "create agent "+a.ServiceNumber, func(tx pgx.Tx) error {
		if err := change(ctx, tx, false, `INSERT INTO agents
			(id, service_number, pseudonym, name, unit_id, role, password_hash, totp_key, totp_secret, totp_step, disabled, failures, locked_until, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			a.ID, a.ServiceNumber, a.Pseudonym, a.Name, a.UnitID, string(a.Role), a.PasswordHash,
			a.TOTP.WrappedKey, a.TOTP.Ciphertext, a.TOTPStep, a.Disabled, a.Failures,
			dbTime(a.LockedUntil), dbTime(a.CreatedAt)); err != nil {
			return err
		}
		return addEnrolment(ctx, tx, e)
	})
}

func addEnrolment(ctx context.Context, db execer, e account.Enrolment) error {
	return change(ctx, db, false, `INSERT INTO agent_enrolments (token_hash, agent_id, expires_at, totp_key, totp_secret)
		VALUES ($1, $2, $3, $4, $5)`, e.TokenHash, e.AgentID, dbTime(e.ExpiresAt), e.TOTP.WrappedKey, e.TOTP.Ciphertext)
}

const agentCols = `id, service_number, pseudonym, name, unit_id, role, password_hash, totp_key, totp_secret,
	totp_step, disabled, failures, locked_until, created_at`

func scanAgentRow(row pgx.Row) (account.Agent, error) {
	var a account.Agent
	var role string
	err := row.Scan(&a.ID, &a.ServiceNumber, &a.Pseudonym, &a.Name, &a.UnitID, &role, &a.PasswordHash,
		&a.TOTP.WrappedKey, &a.TOTP.Ciphertext, &a.TOTPStep, &a.Disabled, &a.Failures, tm(&a.LockedUntil), tm(&a.CreatedAt))
	a.Role = account.Role(role)
	return a, err
}

func (s *Store) agentWhere(ctx context.Context, col, v string) (account.Agent, error) {
	a, err := scanAgentRow(s.pool.QueryRow(ctx, `SELECT `+agentCols+` FROM agents WHERE `+col+` = $1`, v))
	if err != nil {
		return account.Agent{}, fmt.Errorf("postgres: agent %q: %w", v, classify(err))
	}
	return a, nil
}

// Agent returns the agent with this ID.
func (s *Store) Agent(ctx context.Context, id string) (account.Agent, error) {
	return s.agentWhere(ctx, "id", id)
}

// AgentByServiceNumber returns the agent with this service number.
func (s *Store) AgentByServiceNumber(ctx context.Context, sn string) (account.Agent, error) {
	return s.agentWhere(ctx, "service_number", sn)
}

// ListAgents returns every agent by service number.
func (s *Store) ListAgents(ctx context.Context) ([]account.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentCols+` FROM agents ORDER BY service_number COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list agents: %w", err)
	}
	out, err := collect(rows, scanAgentRow)
	if err != nil {
		return nil, fmt.Errorf("postgres: list agents: %w", err)
	}
	return out, nil
}

// SetAgentDisabled disables (deleting the sessions) or re-enables an agent.
func (s *Store) SetAgentDisabled(ctx context.Context, id string, disabled bool) error {
	return s.tx(ctx, "disable agent "+id, func(tx pgx.Tx) error {
		if err := change(ctx, tx, true, `UPDATE agents SET disabled = $1 WHERE id = $2`, disabled, id); err != nil || !disabled {
			return err
		}
		return change(ctx, tx, false, `DELETE FROM agent_sessions WHERE agent_id = $1`, id)
	})
}

// ResetAgent wipes the agent's credentials and sessions and stores e.
func (s *Store) ResetAgent(ctx context.Context, id string, e account.Enrolment) error {
	return s.tx(ctx, "reset agent "+id, func(tx pgx.Tx) error {
		if err := change(ctx, tx, true, `UPDATE agents SET password_hash = '', totp_key = NULL, totp_secret = NULL,
			totp_step = 0, failures = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
			return err
		}
		for _, t := range []string{"agent_recovery_codes", "agent_passkeys", "agent_sessions", "agent_enrolments"} {
			if err := change(ctx, tx, false, `DELETE FROM `+t+` WHERE agent_id = $1`, id); err != nil {
				return err
			}
		}
		return addEnrolment(ctx, tx, e)
	})
}

// SetPassword replaces the agent's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return s.update(ctx, "set password", `UPDATE agents SET password_hash = $1 WHERE id = $2`, hash, id)
}

// RecordFailure counts one more failed attempt and returns the count.
func (s *Store) RecordFailure(ctx context.Context, id string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `UPDATE agents SET failures = failures + 1 WHERE id = $1 RETURNING failures`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: record failure: %w", classify(err))
	}
	return n, nil
}

// LockAgent sets the time before which the agent may not sign in.
func (s *Store) LockAgent(ctx context.Context, id string, until time.Time) error {
	return s.update(ctx, "lock agent", `UPDATE agents SET locked_until = $1 WHERE id = $2`, dbTime(until), id)
}

// ClearFailures resets the failures count and the lock.
func (s *Store) ClearFailures(ctx context.Context, id string) error {
	return s.update(ctx, "clear failures", `UPDATE agents SET failures = 0, locked_until = NULL WHERE id = $1`, id)
}

// UseTOTPStep records step as used, if later than the last one.
func (s *Store) UseTOTPStep(ctx context.Context, id string, step int64) error {
	err := change(ctx, s.pool, true, `UPDATE agents SET totp_step = $1 WHERE id = $2 AND totp_step < $1`, step, id)
	if errors.Is(err, guichet.ErrNotFound) {
		err = fmt.Errorf("code already used: %w", guichet.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: use totp step: %w", err)
	}
	return nil
}

// Enrolment returns the activation link whose token hashes to tokenHash.
func (s *Store) Enrolment(ctx context.Context, tokenHash string) (account.Enrolment, error) {
	var e account.Enrolment
	if err := s.pool.QueryRow(ctx, `SELECT token_hash, agent_id, expires_at, totp_key, totp_secret
		FROM agent_enrolments WHERE token_hash = $1`, tokenHash).
		Scan(&e.TokenHash, &e.AgentID, tm(&e.ExpiresAt), &e.TOTP.WrappedKey, &e.TOTP.Ciphertext); err != nil {
		return account.Enrolment{}, fmt.Errorf("postgres: enrolment: %w", classify(err))
	}
	return e, nil
}

// SetEnrolmentTOTP stores the secret offered on the activation page.
func (s *Store) SetEnrolmentTOTP(ctx context.Context, tokenHash string, totp casefile.Sealed) error {
	return s.update(ctx, "enrolment totp", `UPDATE agent_enrolments SET totp_key = $1, totp_secret = $2 WHERE token_hash = $3`,
		totp.WrappedKey, totp.Ciphertext, tokenHash)
}

// CompleteEnrolment gives the agent their second factor and recovery
// codes, uses up the link and opens the session.
func (s *Store) CompleteEnrolment(ctx context.Context, tokenHash string, totp casefile.Sealed, step int64, hashes []string, sess account.Session) error {
	return s.tx(ctx, "complete enrolment", func(tx pgx.Tx) error {
		if err := change(ctx, tx, true, `DELETE FROM agent_enrolments WHERE token_hash = $1 AND agent_id = $2`, tokenHash, sess.AgentID); err != nil {
			return err
		}
		if err := change(ctx, tx, true, `UPDATE agents SET totp_key = $1, totp_secret = $2, totp_step = $3, failures = 0, locked_until = NULL WHERE id = $4`,
			totp.WrappedKey, totp.Ciphertext, step, sess.AgentID); err != nil {
			return err
		}
		if err := setRecovery(ctx, tx, sess.AgentID, hashes); err != nil {
			return err
		}
		return addSession(ctx, tx, sess)
	})
}

// setRecovery replaces the agent's codes in one statement pair.
func setRecovery(ctx context.Context, tx pgx.Tx, agentID string, hashes []string) error {
	if err := change(ctx, tx, false, `DELETE FROM agent_recovery_codes WHERE agent_id = $1`, agentID); err != nil {
		return err
	}
	if hashes == nil {
		hashes = []string{}
	}
	return change(ctx, tx, false, `INSERT INTO agent_recovery_codes (agent_id, hash) SELECT $1, unnest($2::text[])`, agentID, hashes)
}

// SetRecoveryCodes replaces the agent's recovery codes.
func (s *Store) SetRecoveryCodes(ctx context.Context, agentID string, hashes []string) error {
	return s.tx(ctx, "recovery codes", func(tx pgx.Tx) error { return setRecovery(ctx, tx, agentID, hashes) })
}

// UseRecoveryCode marks an unused code as used.
func (s *Store) UseRecoveryCode(ctx context.Context, agentID, hash string, at time.Time) error {
	return s.update(ctx, "use recovery code", `UPDATE agent_recovery_codes SET used_at = $1
		WHERE agent_id = $2 AND hash = $3 AND used_at IS NULL`, dbTime(at), agentID, hash)
}

// RecoveryCodesLeft counts the agent's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, agentID string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM agent_recovery_codes WHERE agent_id = $1 AND used_at IS NULL`, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: recovery codes left: %w", err)
	}
	return n, nil
}

// AddPasskey stores a credential.
func (s *Store) AddPasskey(ctx context.Context, p account.Passkey) error {
	if err := change(ctx, s.pool, false, `INSERT INTO agent_passkeys (id, agent_id, name, data, created_at, last_used)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.AgentID, p.Name, p.Data, dbTime(p.CreatedAt), dbTime(p.LastUsed)); err != nil {
		return fmt.Errorf("postgres: add passkey: %w", err)
	}
	return nil
}

// Passkeys lists the agent's credentials by creation.
func (s *Store) Passkeys(ctx context.Context, agentID string) ([]account.Passkey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, agent_id, name, data, created_at, last_used
		FROM agent_passkeys WHERE agent_id = $1 ORDER BY created_at, id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: passkeys: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (account.Passkey, error) {
		var p account.Passkey
		err := row.Scan(&p.ID, &p.AgentID, &p.Name, &p.Data, tm(&p.CreatedAt), tm(&p.LastUsed))
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: passkeys: %w", err)
	}
	return out, nil
}

// UpdatePasskey stores a credential's new data and when it was used.
func (s *Store) UpdatePasskey(ctx context.Context, agentID string, id, data []byte, at time.Time) error {
	return s.update(ctx, "update passkey", `UPDATE agent_passkeys SET data = $1, last_used = $2 WHERE agent_id = $3 AND id = $4`,
		data, dbTime(at), agentID, id)
}

// DeletePasskey removes one of the agent's credentials.
func (s *Store) DeletePasskey(ctx context.Context, agentID string, id []byte) error {
	return s.update(ctx, "delete passkey", `DELETE FROM agent_passkeys WHERE agent_id = $1 AND id = $2`, agentID, id)
}

func addSession(ctx context.Context, db execer, sess account.Session) error {
	return change(ctx, db, false, `INSERT INTO agent_sessions (id, agent_id, stage, created_at, last_seen, challenge)
		VALUES ($1, $2, $3, $4, $5, $6)`, sess.ID, sess.AgentID, string(sess.Stage), dbTime(sess.CreatedAt), dbTime(sess.LastSeen), sess.Challenge)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess account.Session) error {
	if err := addSession(ctx, s.pool, sess); err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return nil
}

// Session returns a session by ID.
func (s *Store) Session(ctx context.Context, id string) (account.Session, error) {
	var sess account.Session
	var stage string
	if err := s.pool.QueryRow(ctx, `SELECT id, agent_id, stage, created_at, last_seen, challenge FROM agent_sessions WHERE id = $1`, id).
		Scan(&sess.ID, &sess.AgentID, &stage, tm(&sess.CreatedAt), tm(&sess.LastSeen), &sess.Challenge); err != nil {
		return account.Session{}, fmt.Errorf("postgres: session: %w", classify(err))
	}
	sess.Stage = account.Stage(stage)
	return sess, nil
}

// ReplaceSession swaps session oldID for sess.
func (s *Store) ReplaceSession(ctx context.Context, oldID string, sess account.Session) error {
	return s.tx(ctx, "replace session", func(tx pgx.Tx) error {
		if err := change(ctx, tx, true, `DELETE FROM agent_sessions WHERE id = $1`, oldID); err != nil {
			return err
		}
		return addSession(ctx, tx, sess)
	})
}

// TouchSession sets the session's last-seen time.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, "touch session", `UPDATE agent_sessions SET last_seen = $1 WHERE id = $2`, dbTime(at), id)
}

// SetSessionChallenge stores or clears the session's WebAuthn ceremony.
func (s *Store) SetSessionChallenge(ctx context.Context, id string, challenge []byte) error {
	return s.update(ctx, "session challenge", `UPDATE agent_sessions SET challenge = $1 WHERE id = $2`, challenge, id)
}

// DeleteSession removes a session, if it exists.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := change(ctx, s.pool, false, `DELETE FROM agent_sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// DeleteAgentSessions removes every session of the agent.
func (s *Store) DeleteAgentSessions(ctx context.Context, agentID string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM agent_sessions WHERE agent_id = $1`, agentID)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete agent sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// AgentSessions lists the agent's sessions by creation.
func (s *Store) AgentSessions(ctx context.Context, agentID string) ([]account.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, agent_id, stage, created_at, last_seen, challenge
		FROM agent_sessions WHERE agent_id = $1 ORDER BY created_at, id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: agent sessions: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (account.Session, error) {
		var sess account.Session
		var stage string
		err := row.Scan(&sess.ID, &sess.AgentID, &stage, tm(&sess.CreatedAt), tm(&sess.LastSeen), &sess.Challenge)
		sess.Stage = account.Stage(stage)
		return sess, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: agent sessions: %w", err)
	}
	return out, nil
}

// DeleteExpired removes the sessions and activation links past their
// deadline.
func (s *Store) DeleteExpired(ctx context.Context, x account.Expiry) (account.Purged, error) {
	var p account.Purged
	err := s.tx(ctx, "delete expired sessions", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM agent_sessions WHERE
			(stage = 'full' AND (last_seen < $1 OR created_at < $2)) OR
			(stage = 'password' AND (last_seen < $3 OR created_at < $3))`,
			dbTime(x.IdleBefore), dbTime(x.StartedBefore), dbTime(x.PreAuthBefore))
		if err != nil {
			return err
		}
		p.Sessions = int(tag.RowsAffected())
		if tag, err = tx.Exec(ctx, `DELETE FROM agent_enrolments WHERE expires_at <= $1`, dbTime(x.LinksAt)); err != nil {
			return err
		}
		p.Enrolments = int(tag.RowsAffected())
		return nil
	})
	return p, err
}
