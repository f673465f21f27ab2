-- 0003: case handling by agents (internal/casework): who is in charge of a
-- case, agents' notes, and the indexes of the queue and the access report.
--
-- Notes are sealed with their case's data key (case_personal.wrapped_key)
-- and keep no key of their own: erasing the case's personal part makes
-- them unreadable, and the trigger below deletes them with it.

CREATE TABLE case_assignments (
	case_id         TEXT PRIMARY KEY REFERENCES cases (id),
	agent_id        TEXT NOT NULL,
	agent_pseudonym TEXT NOT NULL,
	assigned_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX case_assignments_agent ON case_assignments (agent_id);

CREATE TABLE case_notes (
	id               TEXT PRIMARY KEY,
	case_id          TEXT NOT NULL REFERENCES cases (id),
	to_citizen       INTEGER NOT NULL CHECK (to_citizen IN (0, 1)),
	author_id        TEXT NOT NULL,
	author_pseudonym TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	ciphertext       BLOB NOT NULL
) STRICT;

CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

CREATE TRIGGER case_notes_erased AFTER DELETE ON case_personal
BEGIN
	DELETE FROM case_notes WHERE case_id = old.case_id;
END;

CREATE INDEX cases_queue ON cases (unit_id, kind, status);
CREATE INDEX case_events_type_at ON case_events (type, at);
