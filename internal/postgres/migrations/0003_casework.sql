-- 0003: case handling by agents: notes, assignment, slots edits (internal/casework).
-- Reserved; filled in with the casework store.
SELECT 1;
