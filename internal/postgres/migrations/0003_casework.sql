-- 0003: case handling by agents (internal/casework): who is in charge of a
-- case, agents' notes, and the indexes of the queue and the access report.
--
-- Notes are sealed with their case's data key (case_personal.wrapped_key)
-- and keep no key of their own: erasing the case's personal part makes
-- them unreadable, and the trigger below deletes them with it.

CREATE TABLE case_assignments (
	case_id         text PRIMARY KEY REFERENCES cases (id),
	agent_id        text NOT NULL,
	agent_pseudonym text NOT NULL,
	assigned_at     timestamptz NOT NULL
);

CREATE INDEX case_assignments_agent ON case_assignments (agent_id);

CREATE TABLE case_notes (
	id               text PRIMARY KEY,
	case_id          text NOT NULL REFERENCES cases (id),
	to_citizen       boolean NOT NULL,
	author_id        text NOT NULL,
	author_pseudonym text NOT NULL,
	created_at       timestamptz NOT NULL,
	ciphertext       bytea NOT NULL
);

CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

CREATE FUNCTION case_notes_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM case_notes WHERE case_id = OLD.case_id;
	RETURN OLD;
END;
$$;

CREATE TRIGGER case_notes_erased AFTER DELETE ON case_personal
	FOR EACH ROW EXECUTE FUNCTION case_notes_erased();

CREATE INDEX cases_queue ON cases (unit_id, kind, status);
CREATE INDEX case_events_type_at ON case_events (type, at);
