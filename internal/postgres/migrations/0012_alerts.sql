-- 0012: silent alerts (kind AL). An alert is a case; this adds its
-- searchable metadata (no personal data) and its sealed entries: positions
-- and chat messages, each sealed under the case's data key. key_hash is
-- SHA-256 of the client's idempotency key: one key, one alert.
CREATE TABLE alerts (
	case_id      text PRIMARY KEY REFERENCES cases (id),
	type         text NOT NULL,
	key_hash     bytea NOT NULL UNIQUE,
	device_hash  bytea,
	ack_by       text,
	ack_at       timestamptz,
	unit         text,
	escalated_at timestamptz,
	outcome      text
);

CREATE TABLE alert_entries (
	id         text PRIMARY KEY,
	case_id    text NOT NULL REFERENCES cases (id),
	kind       text NOT NULL CHECK (kind IN ('position', 'message')),
	at         timestamptz NOT NULL,
	ciphertext bytea NOT NULL
);

CREATE INDEX alert_entries_case ON alert_entries (case_id, kind, id);
