-- partners: the organisations that send reports through the JSON API (spam
-- observatories, mail providers, operators, authorities), their API
-- tokens (only SHA-256 of each is kept), the sources of each report they
-- sent (deduplicated reports keep every source) and the answers of the
-- batches they sent under an Idempotency-Key.
CREATE TABLE partners (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	kind        TEXT NOT NULL,
	scopes      TEXT NOT NULL, -- space-separated
	created_at  INTEGER NOT NULL,
	disabled_at INTEGER
) STRICT;

CREATE TABLE partner_tokens (
	id           TEXT PRIMARY KEY,
	partner_id   TEXT NOT NULL REFERENCES partners (id),
	hash         BLOB NOT NULL UNIQUE,
	hint         TEXT NOT NULL, -- the token's first characters, to tell tokens apart
	scopes       TEXT NOT NULL,
	rate         INTEGER NOT NULL, -- requests a minute
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER,
	replaced_by  TEXT,
	uses         INTEGER NOT NULL DEFAULT 0,
	last_used_at INTEGER
) STRICT;

CREATE INDEX partner_tokens_partner ON partner_tokens (partner_id, created_at);

-- One row per deduplicated report: its canonical content's key.
CREATE TABLE report_content (
	content_key TEXT PRIMARY KEY,
	case_id     TEXT NOT NULL UNIQUE REFERENCES cases (id),
	count       INTEGER NOT NULL,
	last_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE report_sources (
	case_id     TEXT NOT NULL REFERENCES cases (id),
	seq         INTEGER NOT NULL,
	partner_id  TEXT NOT NULL REFERENCES partners (id),
	channel     TEXT NOT NULL,
	external_id TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (case_id, seq)
) STRICT;

CREATE INDEX report_sources_partner ON report_sources (partner_id, case_id);

CREATE TABLE api_idempotency (
	scope      TEXT NOT NULL,
	key        TEXT NOT NULL,
	digest     BLOB NOT NULL,
	answer     BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
) STRICT;
