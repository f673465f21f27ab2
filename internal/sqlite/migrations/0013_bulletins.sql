-- 0013: public warnings (kind AV). A bulletin is a case with no personal
-- part: its content is public. bulletins holds its slug and working draft
-- (JSON of bulletin.Content); bulletin_versions every published version,
-- never changed once written, with the digest its case event put in the
-- transparency log.
CREATE TABLE bulletins (
	case_id      TEXT PRIMARY KEY REFERENCES cases (id),
	slug         TEXT NOT NULL UNIQUE,
	draft        TEXT, -- NULL when there is no draft
	draft_at     INTEGER,
	draft_by     TEXT,
	version      INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0), -- latest published, 0 for none
	published_at INTEGER, -- version 1's
	changed_at   INTEGER NOT NULL,
	withdrawn_at INTEGER
) STRICT;

CREATE INDEX bulletins_changed ON bulletins (changed_at DESC);

CREATE TABLE bulletin_versions (
	case_id  TEXT NOT NULL REFERENCES cases (id),
	version  INTEGER NOT NULL CHECK (version >= 1),
	content  TEXT NOT NULL,
	digest   TEXT NOT NULL,
	at       INTEGER NOT NULL,
	by       TEXT NOT NULL,
	event_id TEXT NOT NULL REFERENCES case_events (id),
	PRIMARY KEY (case_id, version)
) STRICT;
