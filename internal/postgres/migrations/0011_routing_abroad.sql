-- 0011: a default routing rule using a place condition (see 0010): a
-- report holding a phone number or an IBAN of a country other than France
-- (overseas France is France) goes to Interpol through the national
-- central bureau, besides wherever the other rules send it. Supervisors
-- edit or deactivate it like any rule.
INSERT INTO routing_rules (id, version, body, active, author, saved_at) VALUES
	('r-abroad', 1, '{"name": "Numéro ou IBAN à l’étranger", "categories": [], "kinds": [], "domains": [], "places": ["!FR"], "services": ["interpol"], "why_fr": "Un numéro de téléphone ou un IBAN rattaché à un autre pays appelle la coopération internationale : le signalement est transmis à Interpol par le bureau central national.", "why_en": "A phone number or an IBAN belonging to another country calls for international cooperation: the report is passed to Interpol through the national central bureau."}', true, 'guichet', '2026-12-02T00:00:00Z');
