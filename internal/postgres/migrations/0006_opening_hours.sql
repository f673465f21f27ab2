-- 0006: opening hours as data (station.Hours as JSON: schedules in the
-- opening_hours syntax, notes as codes), rendered in each language by the
-- pages, instead of lines of French text.
--
-- The lines of units created before are carried over as the hours' legacy
-- text, shown as typed until an administrator gives the hours as data. The
-- old column stays, written empty, for nodes still running the previous
-- binary while others upgrade; a later migration drops it.
ALTER TABLE units ADD COLUMN opening_hours jsonb NOT NULL DEFAULT '{}'::jsonb
	CHECK (jsonb_typeof(opening_hours) = 'object');

UPDATE units SET opening_hours = jsonb_build_object('legacy', to_jsonb(hours))
WHERE cardinality(hours) > 0;
