package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

var _ account.Store = (*Store)(nil)

// The account store: agents, activation links, recovery codes, passkeys
// and sessions (migration 0002). Every method is one transaction.

// write runs fn in a transaction, wrapping its error with what.
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if err := s.Transact(ctx, fn); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// CreateAgent stores a new agent with its first activation link.
func (s *Store) CreateAgent(ctx context.Context, a account.Agent, e account.Enrolment) error {
	return s.write(ctx, "create agent "+a.ServiceNumber, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agents
			(id, service_number, pseudonym, name, unit_id, role, password_hash, totp_key, totp_secret, totp_step, disabled, failures, locked_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.ServiceNumber, a.Pseudonym, a.Name, a.UnitID, string(a.Role), a.PasswordHash,
			a.TOTP.WrappedKey, a.TOTP.Ciphertext, a.TOTPStep, boolInt(a.Disabled), a.Failures,
			dbTime(norm(a.LockedUntil)), dbTime(norm(a.CreatedAt))); err != nil {
			return classify(err)
		}
		return insertEnrolment(ctx, tx, e)
	})
}

func insertEnrolment(ctx context.Context, tx *sql.Tx, e account.Enrolment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_enrolments (token_hash, agent_id, expires_at, totp_key, totp_secret)
		VALUES (?, ?, ?, ?, ?)`, e.TokenHash, e.AgentID, dbTime(norm(e.ExpiresAt)), e.TOTP.WrappedKey, e.TOTP.Ciphertext)
	return classify(err)
}

const agentColumns = `id, service_number, pseudonym, name, unit_id, role, password_hash, totp_key, totp_secret,
	totp_step, disabled, failures, locked_until, created_at`

func scanAgent(sc interface{ Scan(...any) error }) (account.Agent, error) {
	var (
		a        account.Agent
		role     string
		disabled int
	)
	err := sc.Scan(&a.ID, &a.ServiceNumber, &a.Pseudonym, &a.Name, &a.UnitID, &role, &a.PasswordHash,
		&a.TOTP.WrappedKey, &a.TOTP.Ciphertext, &a.TOTPStep, &disabled, &a.Failures, tm(&a.LockedUntil), tm(&a.CreatedAt))
	a.Role, a.Disabled = account.Role(role), disabled == 1
	return a, err
}

// Agent returns the agent with this ID.
func (s *Store) Agent(ctx context.Context, id string) (account.Agent, error) {
	a, err := scanAgent(s.r.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = ?`, id))
	if err != nil {
		return account.Agent{}, fmt.Errorf("sqlite: agent %s: %w", id, notFound(err))
	}
	return a, nil
}

// AgentByServiceNumber returns the agent with this service number.
func (s *Store) AgentByServiceNumber(ctx context.Context, sn string) (account.Agent, error) {
	a, err := scanAgent(s.r.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE service_number = ?`, sn))
	if err != nil {
		return account.Agent{}, fmt.Errorf("sqlite: agent %q: %w", sn, notFound(err))
	}
	return a, nil
}

// ListAgents returns every agent by service number.
func (s *Store) ListAgents(ctx context.Context) ([]account.Agent, error) {
	return queryAll(ctx, s.r, "list agents", scanAgent, `SELECT `+agentColumns+` FROM agents ORDER BY service_number`)
}

// queryAll runs q on db and scans every row.
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(interface{ Scan(...any) error }) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

// SetAgentDisabled disables (deleting the sessions) or re-enables an agent.
func (s *Store) SetAgentDisabled(ctx context.Context, id string, disabled bool) error {
	return s.write(ctx, "disable agent "+id, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `UPDATE agents SET disabled = ? WHERE id = ?`, boolInt(disabled), id); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM agent_sessions WHERE agent_id = ?`, id)
		return err
	})
}

// ResetAgent wipes the agent's credentials and sessions and stores e.
func (s *Store) ResetAgent(ctx context.Context, id string, e account.Enrolment) error {
	return s.write(ctx, "reset agent "+id, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `UPDATE agents SET password_hash = '', totp_key = NULL, totp_secret = NULL,
			totp_step = 0, failures = 0, locked_until = NULL WHERE id = ?`, id); err != nil {
			return err
		}
		for _, t := range []string{"agent_recovery_codes", "agent_passkeys", "agent_sessions", "agent_enrolments"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE agent_id = ?`, id); err != nil {
				return err
			}
		}
		return insertEnrolment(ctx, tx, e)
	})
}

// SetPassword replaces the agent's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return s.write(ctx, "set password", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agents SET password_hash = ? WHERE id = ?`, hash, id)
	})
}

// RecordFailure counts one more failed attempt and returns the count.
func (s *Store) RecordFailure(ctx context.Context, id string) (int, error) {
	var n int
	err := s.write(ctx, "record failure", func(tx *sql.Tx) error {
		return notFound(tx.QueryRowContext(ctx, `UPDATE agents SET failures = failures + 1 WHERE id = ? RETURNING failures`, id).Scan(&n))
	})
	return n, err
}

// LockAgent sets the time before which the agent may not sign in.
func (s *Store) LockAgent(ctx context.Context, id string, until time.Time) error {
	return s.write(ctx, "lock agent", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agents SET locked_until = ? WHERE id = ?`, dbTime(norm(until)), id)
	})
}

// ClearFailures resets the failures count and the lock.
func (s *Store) ClearFailures(ctx context.Context, id string) error {
	return s.write(ctx, "clear failures", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agents SET failures = 0, locked_until = NULL WHERE id = ?`, id)
	})
}

// UseTOTPStep records step as used, if later than the last one.
func (s *Store) UseTOTPStep(ctx context.Context, id string, step int64) error {
	return s.write(ctx, "use totp step", func(tx *sql.Tx) error {
		err := execOne(ctx, tx, `UPDATE agents SET totp_step = ? WHERE id = ? AND totp_step < ?`, step, id, step)
		if errors.Is(err, guichet.ErrNotFound) {
			return fmt.Errorf("code already used: %w", guichet.ErrConflict)
		}
		return err
	})
}

// Enrolment returns the activation link whose token hashes to tokenHash.
func (s *Store) Enrolment(ctx context.Context, tokenHash string) (account.Enrolment, error) {
	var e account.Enrolment
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, agent_id, expires_at, totp_key, totp_secret
		FROM agent_enrolments WHERE token_hash = ?`, tokenHash).
		Scan(&e.TokenHash, &e.AgentID, tm(&e.ExpiresAt), &e.TOTP.WrappedKey, &e.TOTP.Ciphertext)
	if err != nil {
		return account.Enrolment{}, fmt.Errorf("sqlite: enrolment: %w", notFound(err))
	}
	return e, nil
}

// SetEnrolmentTOTP stores the secret offered on the activation page.
func (s *Store) SetEnrolmentTOTP(ctx context.Context, tokenHash string, totp casefile.Sealed) error {
	return s.write(ctx, "enrolment totp", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agent_enrolments SET totp_key = ?, totp_secret = ? WHERE token_hash = ?`,
			totp.WrappedKey, totp.Ciphertext, tokenHash)
	})
}

// CompleteEnrolment gives the agent their second factor and recovery
// codes, uses up the link and opens the session.
func (s *Store) CompleteEnrolment(ctx context.Context, tokenHash string, totp casefile.Sealed, step int64, hashes []string, sess account.Session) error {
	return s.write(ctx, "complete enrolment", func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM agent_enrolments WHERE token_hash = ? AND agent_id = ?`, tokenHash, sess.AgentID); err != nil {
			return err
		}
		if err := execOne(ctx, tx, `UPDATE agents SET totp_key = ?, totp_secret = ?, totp_step = ?, failures = 0, locked_until = NULL WHERE id = ?`,
			totp.WrappedKey, totp.Ciphertext, step, sess.AgentID); err != nil {
			return err
		}
		if err := replaceRecovery(ctx, tx, sess.AgentID, hashes); err != nil {
			return err
		}
		return insertSession(ctx, tx, sess)
	})
}

func replaceRecovery(ctx context.Context, tx *sql.Tx, agentID string, hashes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM agent_recovery_codes WHERE agent_id = ?`, agentID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_recovery_codes (agent_id, hash) VALUES (?, ?)`, agentID, h); err != nil {
			return classify(err)
		}
	}
	return nil
}

// SetRecoveryCodes replaces the agent's recovery codes.
func (s *Store) SetRecoveryCodes(ctx context.Context, agentID string, hashes []string) error {
	return s.write(ctx, "recovery codes", func(tx *sql.Tx) error {
		return replaceRecovery(ctx, tx, agentID, hashes)
	})
}

// UseRecoveryCode marks an unused code as used.
func (s *Store) UseRecoveryCode(ctx context.Context, agentID, hash string, at time.Time) error {
	return s.write(ctx, "use recovery code", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agent_recovery_codes SET used_at = ? WHERE agent_id = ? AND hash = ? AND used_at IS NULL`,
			dbTime(norm(at)), agentID, hash)
	})
}

// RecoveryCodesLeft counts the agent's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, agentID string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_recovery_codes WHERE agent_id = ? AND used_at IS NULL`, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: recovery codes left: %w", err)
	}
	return n, nil
}

// AddPasskey stores a credential.
func (s *Store) AddPasskey(ctx context.Context, p account.Passkey) error {
	return s.write(ctx, "add passkey", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO agent_passkeys (id, agent_id, name, data, created_at, last_used)
			VALUES (?, ?, ?, ?, ?, ?)`, p.ID, p.AgentID, p.Name, p.Data, dbTime(norm(p.CreatedAt)), dbTime(norm(p.LastUsed)))
		return classify(err)
	})
}

// Passkeys lists the agent's credentials by creation.
func (s *Store) Passkeys(ctx context.Context, agentID string) ([]account.Passkey, error) {
	return queryAll(ctx, s.r, "passkeys", func(sc interface{ Scan(...any) error }) (account.Passkey, error) {
		var p account.Passkey
		err := sc.Scan(&p.ID, &p.AgentID, &p.Name, &p.Data, tm(&p.CreatedAt), tm(&p.LastUsed))
		return p, err
	}, `SELECT id, agent_id, name, data, created_at, last_used FROM agent_passkeys WHERE agent_id = ? ORDER BY created_at, id`, agentID)
}

// UpdatePasskey stores a credential's new data and when it was used.
func (s *Store) UpdatePasskey(ctx context.Context, agentID string, id, data []byte, at time.Time) error {
	return s.write(ctx, "update passkey", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agent_passkeys SET data = ?, last_used = ? WHERE agent_id = ? AND id = ?`,
			data, dbTime(norm(at)), agentID, id)
	})
}

// DeletePasskey removes one of the agent's credentials.
func (s *Store) DeletePasskey(ctx context.Context, agentID string, id []byte) error {
	return s.write(ctx, "delete passkey", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `DELETE FROM agent_passkeys WHERE agent_id = ? AND id = ?`, agentID, id)
	})
}

func insertSession(ctx context.Context, tx *sql.Tx, sess account.Session) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_sessions (id, agent_id, stage, created_at, last_seen, challenge)
		VALUES (?, ?, ?, ?, ?, ?)`, sess.ID, sess.AgentID, string(sess.Stage), dbTime(norm(sess.CreatedAt)), dbTime(norm(sess.LastSeen)), sess.Challenge)
	return classify(err)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess account.Session) error {
	return s.write(ctx, "create session", func(tx *sql.Tx) error { return insertSession(ctx, tx, sess) })
}

// Session returns a session by ID.
func (s *Store) Session(ctx context.Context, id string) (account.Session, error) {
	var (
		sess  account.Session
		stage string
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, agent_id, stage, created_at, last_seen, challenge FROM agent_sessions WHERE id = ?`, id).
		Scan(&sess.ID, &sess.AgentID, &stage, tm(&sess.CreatedAt), tm(&sess.LastSeen), &sess.Challenge)
	if err != nil {
		return account.Session{}, fmt.Errorf("sqlite: session: %w", notFound(err))
	}
	sess.Stage = account.Stage(stage)
	return sess, nil
}

// ReplaceSession swaps session oldID for sess.
func (s *Store) ReplaceSession(ctx context.Context, oldID string, sess account.Session) error {
	return s.write(ctx, "replace session", func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM agent_sessions WHERE id = ?`, oldID); err != nil {
			return err
		}
		return insertSession(ctx, tx, sess)
	})
}

// TouchSession sets the session's last-seen time.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, "touch session", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agent_sessions SET last_seen = ? WHERE id = ?`, dbTime(norm(at)), id)
	})
}

// SetSessionChallenge stores or clears the session's WebAuthn ceremony.
func (s *Store) SetSessionChallenge(ctx context.Context, id string, challenge []byte) error {
	return s.write(ctx, "session challenge", func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE agent_sessions SET challenge = ? WHERE id = ?`, challenge, id)
	})
}

// DeleteSession removes a session, if it exists.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.write(ctx, "delete session", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM agent_sessions WHERE id = ?`, id)
		return err
	})
}

// DeleteAgentSessions removes every session of the agent.
func (s *Store) DeleteAgentSessions(ctx context.Context, agentID string) (int, error) {
	var n int64
	err := s.write(ctx, "delete agent sessions", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM agent_sessions WHERE agent_id = ?`, agentID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// AgentSessions lists the agent's sessions by creation.
func (s *Store) AgentSessions(ctx context.Context, agentID string) ([]account.Session, error) {
	return queryAll(ctx, s.r, "agent sessions", func(sc interface{ Scan(...any) error }) (account.Session, error) {
		var (
			sess  account.Session
			stage string
		)
		err := sc.Scan(&sess.ID, &sess.AgentID, &stage, tm(&sess.CreatedAt), tm(&sess.LastSeen), &sess.Challenge)
		sess.Stage = account.Stage(stage)
		return sess, err
	}, `SELECT id, agent_id, stage, created_at, last_seen, challenge FROM agent_sessions
		WHERE agent_id = ? ORDER BY created_at, id`, agentID)
}

// DeleteExpired removes the sessions and activation links past their
// deadline.
func (s *Store) DeleteExpired(ctx context.Context, x account.Expiry) (account.Purged, error) {
	var p account.Purged
	err := s.write(ctx, "delete expired sessions", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM agent_sessions WHERE
			(stage = 'full' AND (last_seen < ? OR created_at < ?)) OR
			(stage = 'password' AND (last_seen < ? OR created_at < ?))`,
			dbTime(norm(x.IdleBefore)), dbTime(norm(x.StartedBefore)), dbTime(norm(x.PreAuthBefore)), dbTime(norm(x.PreAuthBefore)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		p.Sessions = int(n)
		if res, err = tx.ExecContext(ctx, `DELETE FROM agent_enrolments WHERE expires_at <= ?`, dbTime(norm(x.LinksAt))); err != nil {
			return err
		}
		n, err = res.RowsAffected()
		p.Enrolments = int(n)
		return err
	})
	return p, err
}
