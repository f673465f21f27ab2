-- 0004: the durable queue of citizen notifications (internal/notify).
--
-- The queue holds case IDs, never an address: the address is read from the
-- sealed personal part at send time, so erasure stops delivery.

-- The position (outbox ID) of the last case event scanned. It starts at the
-- events already recorded, so an upgrade does not notify the past.
CREATE TABLE notify_cursor (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	position INTEGER NOT NULL
) STRICT;

INSERT INTO notify_cursor (id, position) SELECT 1, COALESCE(MAX(id), 0) FROM outbox;

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id    TEXT NOT NULL REFERENCES cases (id),
	status     TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
	attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at    INTEGER NOT NULL, -- due, or end of the sender's lease
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT ''
) STRICT;

-- At most one pending notification per case: bursts coalesce.
CREATE UNIQUE INDEX notifications_pending_case ON notifications (case_id) WHERE status = 'pending';
CREATE INDEX notifications_due ON notifications (next_at, id) WHERE status = 'pending';
CREATE INDEX notifications_case ON notifications (case_id, id);
