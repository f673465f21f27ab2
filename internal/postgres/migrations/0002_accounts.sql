-- 0002: agents, their credentials and sessions (internal/account).
--
-- No credential is kept in a usable form: passwords as argon2id PHC
-- strings, TOTP secrets sealed by the vault, recovery codes, activation
-- tokens and session tokens as SHA-256 hashes.

CREATE TABLE agents (
	id             text PRIMARY KEY,
	service_number text NOT NULL UNIQUE,
	pseudonym      text NOT NULL UNIQUE,
	name           text NOT NULL,
	unit_id        text NOT NULL REFERENCES units (id),
	role           text NOT NULL,
	password_hash  text NOT NULL DEFAULT '',
	totp_key       bytea,
	totp_secret    bytea,
	totp_step      bigint NOT NULL DEFAULT 0,
	disabled       boolean NOT NULL DEFAULT false,
	failures       integer NOT NULL DEFAULT 0,
	locked_until   timestamptz,
	created_at     timestamptz NOT NULL
);

CREATE TABLE agent_enrolments (
	token_hash  text PRIMARY KEY,
	agent_id    text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	expires_at  timestamptz NOT NULL,
	totp_key    bytea,
	totp_secret bytea
);

CREATE INDEX agent_enrolments_agent ON agent_enrolments (agent_id);

CREATE TABLE agent_recovery_codes (
	agent_id text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	hash     text NOT NULL,
	used_at  timestamptz,
	PRIMARY KEY (agent_id, hash)
);

CREATE TABLE agent_passkeys (
	id         bytea PRIMARY KEY,
	agent_id   text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	name       text NOT NULL,
	data       bytea NOT NULL,
	created_at timestamptz NOT NULL,
	last_used  timestamptz
);

CREATE INDEX agent_passkeys_agent ON agent_passkeys (agent_id, created_at);

CREATE TABLE agent_sessions (
	id         text PRIMARY KEY,
	agent_id   text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	stage      text NOT NULL CHECK (stage IN ('password', 'full')),
	created_at timestamptz NOT NULL,
	last_seen  timestamptz NOT NULL,
	challenge  bytea
);

CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);
