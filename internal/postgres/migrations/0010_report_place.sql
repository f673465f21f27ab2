-- 0010: a report's place: the département where the reporter lives or the
-- facts happened ('69', '2A', '974'), 'abroad', or '' when not said. Never
-- finer than the département: at that grain it is no personal data, so it
-- is a column, outside the sealed part, kept for statistics per
-- département after the reporter's own words are erased.
ALTER TABLE reports ADD COLUMN place TEXT NOT NULL DEFAULT '' CHECK (
	place IN ('', 'abroad', '2A', '2B', '971', '972', '973', '974', '975', '976')
	OR (place ~ '^[0-9]{2}$' AND place NOT IN ('00', '20', '96', '97', '98', '99'))
);
