-- 0015: public statistics count cases per week, kind, category and unit
-- over a year: an index covering those columns by submission time keeps
-- the counting a scan of the year's entries, not of the table.
CREATE INDEX cases_submitted ON cases (submitted_at) INCLUDE (kind, category, unit_id) WHERE submitted_at IS NOT NULL;
