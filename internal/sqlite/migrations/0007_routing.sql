-- 0007: routing of reports. Rules are data, versioned: each save adds a
-- version, none is overwritten, so that every routing decision names the
-- rule and version that fired. The rules below are the defaults a new
-- instance starts with; supervisors edit them from the back-office.
-- report_routes holds where each report went: one row per service, each
-- with its own status and outcome.
CREATE TABLE routing_rules (
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	body       TEXT NOT NULL CHECK (json_valid(body)),
	active     INTEGER NOT NULL CHECK (active IN (0, 1)),
	author     TEXT NOT NULL,
	saved_at   INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) STRICT;

CREATE TABLE report_routes (
	case_id      TEXT NOT NULL REFERENCES cases (id),
	service      TEXT NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('sent', 'withdrawn', 'done')),
	rule_id      TEXT NOT NULL DEFAULT '',
	rule_version INTEGER NOT NULL DEFAULT 0,
	why_fr       TEXT NOT NULL,
	why_en       TEXT NOT NULL,
	by_actor     TEXT NOT NULL,
	outcome      TEXT NOT NULL DEFAULT '',
	at           INTEGER NOT NULL,
	PRIMARY KEY (case_id, service)
) STRICT;

CREATE INDEX report_routes_service ON report_routes (service, status);

INSERT INTO routing_rules (id, version, body, active, author, saved_at) VALUES
	('r-minors', 1, '{"name": "Abus sexuels sur mineurs", "categories": ["child_abuse"], "kinds": [], "domains": [], "services": ["minors"], "why_fr": "Les contenus d’abus sexuels sur des enfants sont traités par l’office chargé de la protection des mineurs.", "why_en": "Child sexual abuse content is handled by the office for the protection of minors."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-terror', 1, '{"name": "Terrorisme", "categories": ["terrorism"], "kinds": [], "domains": [], "services": ["terrorism"], "why_fr": "Les contenus terroristes sont transmis au service de lutte contre le terrorisme.", "why_en": "Terrorist content is passed to the counter-terrorism service."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-hate', 1, '{"name": "Haine en ligne", "categories": ["hate", "defamation"], "kinds": [], "domains": [], "services": ["hate_online"], "why_fr": "La haine, l’injure et la diffamation en ligne sont traitées par le pôle de lutte contre la haine en ligne.", "why_en": "Online hate, insult and defamation are handled by the online-hate unit."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-threats', 1, '{"name": "Menaces et trafics", "categories": ["threats", "trafficking", "extortion"], "kinds": [], "domains": [], "services": ["cyber"], "why_fr": "Les menaces, les trafics et le chantage en ligne sont examinés par l’office de lutte contre la cybercriminalité.", "why_en": "Threats, trafficking and blackmail online are examined by the cybercrime office."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-scams', 1, '{"name": "Escroqueries en ligne", "categories": ["phishing", "fake_adviser", "investment", "romance", "fake_shop", "other"], "kinds": [], "domains": [], "services": ["cyber"], "why_fr": "Les escroqueries en ligne sont examinées par l’office de lutte contre la cybercriminalité, qui les rapproche des autres signalements.", "why_en": "Online scams are examined by the cybercrime office, which links them with other reports."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-spam', 1, '{"name": "Messages indésirables", "categories": ["spam", "phishing"], "kinds": ["email", "url", "phone"], "domains": [], "services": ["spam"], "why_fr": "Les messages non sollicités sont transmis à l’observatoire des messages indésirables, qui les fait bloquer par les opérateurs.", "why_en": "Unsolicited messages are passed to the spam observatory, which has operators block them."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-shop', 1, '{"name": "Faux sites de vente", "categories": ["fake_shop"], "kinds": [], "domains": [], "services": ["dgccrf"], "why_fr": "Les faux sites de vente concernent aussi la protection des consommateurs (DGCCRF).", "why_en": "Fake online shops also concern consumer protection (DGCCRF)."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000),
	('r-card', 1, '{"name": "Faux conseiller bancaire", "categories": ["fake_adviser"], "kinds": [], "domains": [], "services": ["card_fraud"], "why_fr": "Les fraudes à la carte bancaire par un faux conseiller sont transmises au service de la fraude à la carte.", "why_en": "Card fraud by a fake adviser is passed to the card-fraud service."}', 1, 'guichet', CAST(strftime('%s', '2026-12-01') AS INTEGER) * 1000000);
