-- 0011: silent alerts (kind AL). An alert is a case; this adds its
-- searchable metadata (no personal data) and its sealed entries: positions
-- and chat messages, each sealed under the case's data key. key_hash is
-- SHA-256 of the client's idempotency key: one key, one alert.
CREATE TABLE alerts (
	case_id      TEXT PRIMARY KEY REFERENCES cases (id),
	type         TEXT NOT NULL,
	key_hash     BLOB NOT NULL UNIQUE,
	device_hash  BLOB,
	ack_by       TEXT,
	ack_at       INTEGER,
	unit         TEXT,
	escalated_at INTEGER,
	outcome      TEXT
) STRICT;

CREATE TABLE alert_entries (
	id         TEXT PRIMARY KEY,
	case_id    TEXT NOT NULL REFERENCES cases (id),
	kind       TEXT NOT NULL CHECK (kind IN ('position', 'message')),
	at         INTEGER NOT NULL,
	ciphertext BLOB NOT NULL
) STRICT;

CREATE INDEX alert_entries_case ON alert_entries (case_id, kind, id);
