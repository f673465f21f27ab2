-- The transparency log this database belongs with (ledger.ClaimInstance):
-- the random ID written in the log's store on its first claim. Nodes
-- sharing the database must share that store (one bucket); a node with a
-- log of its own is refused at start.
CREATE TABLE log_instance (
	only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	id         text NOT NULL CHECK (id <> ''),
	claimed_at timestamptz NOT NULL DEFAULT now()
);
