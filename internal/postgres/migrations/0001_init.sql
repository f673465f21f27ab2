-- 0001: units, slots, drafts, evidence, cases and their events, the outbox.
--
-- Times are timestamptz (microseconds); NULL stands for the zero time.
-- Personal data lives only in case_personal and drafts (sealed, opaque);
-- everything else is searchable metadata that survives erasure.

CREATE TABLE units (
	id                   text PRIMARY KEY,
	code                 text NOT NULL UNIQUE,
	name                 text NOT NULL,
	kind                 text NOT NULL,
	parent_id            text,
	address              text NOT NULL,
	postcode             text NOT NULL,
	city                 text NOT NULL,
	lat                  double precision NOT NULL,
	lon                  double precision NOT NULL,
	phone                text NOT NULL,
	hours                text[] NOT NULL,
	accepts_appointments boolean NOT NULL
);

CREATE INDEX units_name ON units (name COLLATE "C");

CREATE TABLE slots (
	id       text PRIMARY KEY,
	unit_id  text NOT NULL REFERENCES units (id),
	start_at timestamptz NOT NULL,
	end_at   timestamptz NOT NULL,
	capacity integer NOT NULL CHECK (capacity >= 0),
	booked   integer NOT NULL CHECK (booked >= 0 AND booked <= capacity),
	CHECK (end_at > start_at)
);

CREATE INDEX slots_unit_start ON slots (unit_id, start_at);

CREATE TABLE drafts (
	id          text PRIMARY KEY,
	code_hash   bytea NOT NULL UNIQUE,
	step        text NOT NULL,
	wrapped_key bytea,
	ciphertext  bytea,
	created_at  timestamptz,
	updated_at  timestamptz,
	expires_at  timestamptz,
	version     integer NOT NULL
);

CREATE INDEX drafts_expires ON drafts (expires_at) WHERE expires_at IS NOT NULL;

-- owner_id is a draft's ID before submission and the case's after.
CREATE TABLE evidence (
	id           text PRIMARY KEY,
	owner_id     text NOT NULL,
	blob_key     text NOT NULL,
	content_type text NOT NULL,
	size         bigint NOT NULL CHECK (size >= 0),
	sha256       text NOT NULL,
	created_at   timestamptz
);

CREATE INDEX evidence_owner ON evidence (owner_id, created_at);

CREATE TABLE cases (
	id           text PRIMARY KEY,
	ref          text NOT NULL UNIQUE,
	kind         text NOT NULL,
	category     text NOT NULL,
	status       text NOT NULL,
	unit_id      text REFERENCES units (id),
	created_at   timestamptz,
	submitted_at timestamptz,
	updated_at   timestamptz,
	expires_at   timestamptz,
	erased_at    timestamptz,
	linked_ref   text
);

CREATE INDEX cases_expirable ON cases (expires_at) WHERE expires_at IS NOT NULL AND erased_at IS NULL;

CREATE TABLE case_secrets (
	case_id           text PRIMARY KEY REFERENCES cases (id),
	tracking_hash     bytea,
	ledger_salt       bytea, -- NULL once erased
	code_failures     integer NOT NULL DEFAULT 0,
	last_code_failure timestamptz
);

-- Deleted on erasure.
CREATE TABLE case_personal (
	case_id     text PRIMARY KEY REFERENCES cases (id),
	wrapped_key bytea,
	ciphertext  bytea
);

CREATE TABLE case_events (
	id      text PRIMARY KEY,
	case_id text NOT NULL REFERENCES cases (id),
	seq     integer NOT NULL, -- 1, 2, … per case, in recording order
	type    text NOT NULL,
	at      timestamptz NOT NULL,
	actor   text NOT NULL,
	visible boolean NOT NULL,
	data    jsonb NOT NULL, -- object, or null
	UNIQUE (case_id, seq)
);

-- IDs are drawn at insert, not at commit: a sequencer MUST NOT assume that
-- no entry below a seen ID can still appear. It sequences pending rows.
CREATE TABLE outbox (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id   text NOT NULL UNIQUE REFERENCES case_events (id),
	leaf       bytea NOT NULL,
	log_index  bigint UNIQUE CHECK (log_index >= 0), -- NULL until sequenced
	created_at timestamptz NOT NULL
);

CREATE INDEX outbox_pending ON outbox (id) WHERE log_index IS NULL;

CREATE TABLE appointments (
	case_id text PRIMARY KEY REFERENCES cases (id),
	slot_id text NOT NULL REFERENCES slots (id)
);

CREATE INDEX appointments_slot ON appointments (slot_id);
