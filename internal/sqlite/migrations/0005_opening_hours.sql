-- 0005: opening hours as data (station.Hours as JSON: schedules in the
-- opening_hours syntax, notes as codes), rendered in each language by the
-- pages, instead of lines of French text.
--
-- The lines of units created before are carried over as the hours' legacy
-- text, shown as typed until an administrator gives the hours as data. The
-- old column stays, written empty, for nodes still running the previous
-- binary while others upgrade; a later migration drops it.
ALTER TABLE units ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(opening_hours));

UPDATE units SET opening_hours = json_object('legacy', json(hours))
WHERE json_valid(hours) AND json_type(hours) = 'array' AND json_array_length(hours) > 0;
