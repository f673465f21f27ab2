-- 0002: agents, their credentials and sessions (internal/account).
--
-- No credential is kept in a usable form: passwords as argon2id PHC
-- strings, TOTP secrets sealed by the vault, recovery codes, activation
-- tokens and session tokens as SHA-256 hashes.

CREATE TABLE agents (
	id             TEXT PRIMARY KEY,
	service_number TEXT NOT NULL UNIQUE,
	pseudonym      TEXT NOT NULL UNIQUE,
	name           TEXT NOT NULL,
	unit_id        TEXT NOT NULL REFERENCES units (id),
	role           TEXT NOT NULL,
	password_hash  TEXT NOT NULL DEFAULT '',
	totp_key       BLOB,
	totp_secret    BLOB,
	totp_step      INTEGER NOT NULL DEFAULT 0,
	disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	failures       INTEGER NOT NULL DEFAULT 0,
	locked_until   INTEGER,
	created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_enrolments (
	token_hash  TEXT PRIMARY KEY,
	agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	expires_at  INTEGER NOT NULL,
	totp_key    BLOB,
	totp_secret BLOB
) STRICT;

CREATE INDEX agent_enrolments_agent ON agent_enrolments (agent_id);

CREATE TABLE agent_recovery_codes (
	agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	hash     TEXT NOT NULL,
	used_at  INTEGER,
	PRIMARY KEY (agent_id, hash)
) STRICT;

CREATE TABLE agent_passkeys (
	id         BLOB PRIMARY KEY,
	agent_id   TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	data       BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	last_used  INTEGER
) STRICT;

CREATE INDEX agent_passkeys_agent ON agent_passkeys (agent_id, created_at);

CREATE TABLE agent_sessions (
	id         TEXT PRIMARY KEY,
	agent_id   TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	stage      TEXT NOT NULL CHECK (stage IN ('password', 'full')),
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	challenge  BLOB
) STRICT;

CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);
