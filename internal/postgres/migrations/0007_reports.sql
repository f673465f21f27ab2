-- 0007: reports (signalements, kind SG). A report is a case; this adds the
-- lane it entered by and the values it says the offence was seen at, as
-- typed and harmonised. Those values describe the offence, not the
-- reporter, and stay matchable after the reporter's own words are erased.
-- No IP address is stored for a report, here or anywhere.
CREATE TABLE reports (
	case_id TEXT PRIMARY KEY REFERENCES cases (id),
	lane    TEXT NOT NULL CHECK (lane IN ('normal', 'review'))
);

CREATE TABLE report_seen (
	case_id   TEXT NOT NULL REFERENCES cases (id),
	pos       INTEGER NOT NULL,
	channel   TEXT NOT NULL,
	kind      TEXT NOT NULL,
	input     TEXT NOT NULL,
	valid     BOOLEAN NOT NULL,
	canonical TEXT NOT NULL,
	display   TEXT NOT NULL,
	domain    TEXT NOT NULL,
	reason    TEXT NOT NULL,
	key       TEXT, -- kind:canonical; NULL when invalid (kept, never matched)
	PRIMARY KEY (case_id, pos),
	CHECK (valid = (key IS NOT NULL))
);

CREATE INDEX report_seen_key ON report_seen (key, case_id) WHERE key IS NOT NULL;
