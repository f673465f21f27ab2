-- 0014: public warnings (kind AV). A bulletin is a case with no personal
-- part: its content is public. bulletins holds its slug and working draft
-- (JSON of bulletin.Content); bulletin_versions every published version,
-- never changed once written, with the digest its case event put in the
-- transparency log.
CREATE TABLE bulletins (
	case_id      text PRIMARY KEY REFERENCES cases (id),
	slug         text NOT NULL UNIQUE,
	draft        text, -- NULL when there is no draft
	draft_at     timestamptz,
	draft_by     text,
	version      integer NOT NULL DEFAULT 0 CHECK (version >= 0), -- latest published, 0 for none
	published_at timestamptz, -- version 1's
	changed_at   timestamptz NOT NULL,
	withdrawn_at timestamptz
);

CREATE INDEX bulletins_changed ON bulletins (changed_at DESC);

CREATE TABLE bulletin_versions (
	case_id  text NOT NULL REFERENCES cases (id),
	version  integer NOT NULL CHECK (version >= 1),
	content  text NOT NULL,
	digest   text NOT NULL,
	at       timestamptz NOT NULL,
	by       text NOT NULL,
	event_id text NOT NULL REFERENCES case_events (id),
	PRIMARY KEY (case_id, version)
);
