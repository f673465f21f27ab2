-- 0001: units, slots, drafts, evidence, cases and their events, the outbox.
--
-- Times are INTEGER unix microseconds, UTC; NULL stands for the zero time.
-- Personal data lives only in case_personal and drafts (sealed, opaque);
-- everything else is searchable metadata that survives erasure.

CREATE TABLE units (
	id                   TEXT PRIMARY KEY,
	code                 TEXT NOT NULL UNIQUE,
	name                 TEXT NOT NULL,
	kind                 TEXT NOT NULL,
	parent_id            TEXT,
	address              TEXT NOT NULL,
	postcode             TEXT NOT NULL,
	city                 TEXT NOT NULL,
	lat                  REAL NOT NULL,
	lon                  REAL NOT NULL,
	phone                TEXT NOT NULL,
	hours                TEXT NOT NULL, -- JSON array of lines
	accepts_appointments INTEGER NOT NULL CHECK (accepts_appointments IN (0, 1))
) STRICT;

CREATE INDEX units_name ON units (name);

CREATE TABLE slots (
	id       TEXT PRIMARY KEY,
	unit_id  TEXT NOT NULL REFERENCES units (id),
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL,
	capacity INTEGER NOT NULL CHECK (capacity >= 0),
	booked   INTEGER NOT NULL CHECK (booked >= 0 AND booked <= capacity),
	CHECK (end_at > start_at)
) STRICT;

CREATE INDEX slots_unit_start ON slots (unit_id, start_at);

CREATE TABLE drafts (
	id          TEXT PRIMARY KEY,
	code_hash   BLOB NOT NULL UNIQUE,
	step        TEXT NOT NULL,
	wrapped_key BLOB,
	ciphertext  BLOB,
	created_at  INTEGER,
	updated_at  INTEGER,
	expires_at  INTEGER,
	version     INTEGER NOT NULL
) STRICT;

CREATE INDEX drafts_expires ON drafts (expires_at) WHERE expires_at IS NOT NULL;

-- owner_id is a draft's ID before submission and the case's after.
CREATE TABLE evidence (
	id           TEXT PRIMARY KEY,
	owner_id     TEXT NOT NULL,
	blob_key     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL CHECK (size >= 0),
	sha256       TEXT NOT NULL,
	created_at   INTEGER
) STRICT;

CREATE INDEX evidence_owner ON evidence (owner_id, created_at);

CREATE TABLE cases (
	id           TEXT PRIMARY KEY,
	ref          TEXT NOT NULL UNIQUE,
	kind         TEXT NOT NULL,
	category     TEXT NOT NULL,
	status       TEXT NOT NULL,
	unit_id      TEXT REFERENCES units (id),
	created_at   INTEGER,
	submitted_at INTEGER,
	updated_at   INTEGER,
	expires_at   INTEGER,
	erased_at    INTEGER,
	linked_ref   TEXT
) STRICT;

CREATE INDEX cases_expirable ON cases (expires_at) WHERE expires_at IS NOT NULL AND erased_at IS NULL;

CREATE TABLE case_secrets (
	case_id           TEXT PRIMARY KEY REFERENCES cases (id),
	tracking_hash     BLOB,
	ledger_salt       BLOB, -- NULL once erased
	code_failures     INTEGER NOT NULL DEFAULT 0,
	last_code_failure INTEGER
) STRICT;

-- Deleted on erasure.
CREATE TABLE case_personal (
	case_id     TEXT PRIMARY KEY REFERENCES cases (id),
	wrapped_key BLOB,
	ciphertext  BLOB
) STRICT;

CREATE TABLE case_events (
	id      TEXT PRIMARY KEY,
	case_id TEXT NOT NULL REFERENCES cases (id),
	seq     INTEGER NOT NULL, -- 1, 2, … per case, in recording order
	type    TEXT NOT NULL,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	visible INTEGER NOT NULL CHECK (visible IN (0, 1)),
	data    TEXT NOT NULL, -- JSON object, or null
	UNIQUE (case_id, seq)
) STRICT;

-- AUTOINCREMENT: IDs are never reused, so they grow in commit order (one writer).
CREATE TABLE outbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id   TEXT NOT NULL UNIQUE REFERENCES case_events (id),
	leaf       BLOB NOT NULL,
	log_index  INTEGER UNIQUE CHECK (log_index >= 0), -- NULL until sequenced
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_pending ON outbox (id) WHERE log_index IS NULL;

CREATE TABLE appointments (
	case_id TEXT PRIMARY KEY REFERENCES cases (id),
	slot_id TEXT NOT NULL REFERENCES slots (id)
) STRICT;

CREATE INDEX appointments_slot ON appointments (slot_id);
