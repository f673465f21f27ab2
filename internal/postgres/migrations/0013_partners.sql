-- partners: the organisations that send reports through the JSON API (spam
-- observatories, mail providers, operators, authorities), their API
-- tokens (only SHA-256 of each is kept), the sources of each report they
-- sent (deduplicated reports keep every source) and the answers of the
-- batches they sent under an Idempotency-Key.
CREATE TABLE partners (
	id          text PRIMARY KEY,
	name        text NOT NULL UNIQUE,
	kind        text NOT NULL,
	scopes      text NOT NULL, -- space-separated
	created_at  timestamptz NOT NULL,
	disabled_at timestamptz
);

CREATE TABLE partner_tokens (
	id           text PRIMARY KEY,
	partner_id   text NOT NULL REFERENCES partners (id),
	hash         bytea NOT NULL UNIQUE,
	hint         text NOT NULL, -- the token's first characters, to tell tokens apart
	scopes       text NOT NULL,
	rate         integer NOT NULL, -- requests a minute
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	revoked_at   timestamptz,
	replaced_by  text,
	uses         bigint NOT NULL DEFAULT 0,
	last_used_at timestamptz
);

CREATE INDEX partner_tokens_partner ON partner_tokens (partner_id, created_at);

-- One row per deduplicated report: its canonical content's key.
CREATE TABLE report_content (
	content_key text PRIMARY KEY,
	case_id     text NOT NULL UNIQUE REFERENCES cases (id),
	count       bigint NOT NULL,
	last_at     timestamptz NOT NULL
);

CREATE TABLE report_sources (
	case_id     text NOT NULL REFERENCES cases (id),
	seq         integer NOT NULL,
	partner_id  text NOT NULL REFERENCES partners (id),
	channel     text NOT NULL,
	external_id text NOT NULL,
	received_at timestamptz NOT NULL,
	PRIMARY KEY (case_id, seq)
);

CREATE INDEX report_sources_partner ON report_sources (partner_id, case_id);

CREATE TABLE api_idempotency (
	scope      text NOT NULL,
	key        text NOT NULL,
	digest     bytea NOT NULL,
	answer     bytea NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (scope, key)
);
