-- 0009: cross-referencing (recoupement). The index counts, for every key
-- (kind:canonical) that reports hold, the distinct reports holding it: its
-- degree. Reports sharing a key that links are in one campaign; a key does
-- not link when it is known-good or held by more than max_degree reports
-- (see package report). Every report is in exactly one campaign.

CREATE TABLE campaign_settings (
	id             integer PRIMARY KEY CHECK (id = 1),
	max_degree     integer NOT NULL CHECK (max_degree >= 1),
	-- true when reports exist that no campaign holds yet (filed before this
	-- migration): the store rebuilds the campaigns when it opens.
	rebuild_needed boolean NOT NULL
);

INSERT INTO campaign_settings (id, max_degree, rebuild_needed)
	VALUES (1, 1000, EXISTS (SELECT 1 FROM reports));

CREATE TABLE known_good (
	key       text PRIMARY KEY,
	kind      text NOT NULL,
	canonical text NOT NULL,
	category  text NOT NULL CHECK (category IN ('webmail', 'shortener', 'platform', 'bank', 'public_service', 'other')),
	label     text NOT NULL,
	added_by  text NOT NULL,
	added_at  timestamptz NOT NULL,
	CHECK (key = kind || ':' || canonical)
);

CREATE TABLE indicator_keys (
	key          text PRIMARY KEY,
	degree       integer NOT NULL CHECK (degree >= 0),
	known_good   text, -- the key of the known-good entry covering it
	published_by text,
	published_at timestamptz
);

CREATE TABLE campaigns (
	id          text PRIMARY KEY,
	ref         text NOT NULL UNIQUE,
	reports     integer NOT NULL CHECK (reports >= 0),
	first_seen  timestamptz NOT NULL,
	last_seen   timestamptz NOT NULL,
	merged_into text REFERENCES campaigns (id),
	CHECK (merged_into IS NULL OR reports = 0)
);

CREATE INDEX campaigns_by_size ON campaigns (reports DESC, last_seen DESC) WHERE merged_into IS NULL;

CREATE TABLE report_campaign (
	case_id     text PRIMARY KEY REFERENCES cases (id),
	campaign_id text NOT NULL REFERENCES campaigns (id)
);

CREATE INDEX report_campaign_by_campaign ON report_campaign (campaign_id, case_id);

-- The known-good list, seeded with public values. Supervisors edit it.
INSERT INTO known_good (key, kind, canonical, category, label, added_by, added_at)
SELECT kind || ':' || canonical, kind, canonical, category, label, 'seed', date_trunc('second', now())
FROM (VALUES
	-- Webmail domains: the providers' own public mail domains, as their sign-up pages give them.
	('domain', 'gmail.com', 'webmail', 'Gmail (Google)'),
	('domain', 'googlemail.com', 'webmail', 'Gmail (Google)'),
	('domain', 'outlook.com', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'outlook.fr', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'hotmail.com', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'hotmail.fr', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'live.com', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'live.fr', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'msn.com', 'webmail', 'Outlook.com (Microsoft)'),
	('domain', 'yahoo.com', 'webmail', 'Yahoo Mail'),
	('domain', 'yahoo.fr', 'webmail', 'Yahoo Mail'),
	('domain', 'icloud.com', 'webmail', 'iCloud Mail (Apple)'),
	('domain', 'me.com', 'webmail', 'iCloud Mail (Apple)'),
	('domain', 'aol.com', 'webmail', 'AOL Mail'),
	('domain', 'orange.fr', 'webmail', 'Orange'),
	('domain', 'wanadoo.fr', 'webmail', 'Orange'),
	('domain', 'free.fr', 'webmail', 'Free'),
	('domain', 'sfr.fr', 'webmail', 'SFR'),
	('domain', 'neuf.fr', 'webmail', 'SFR'),
	('domain', 'laposte.net', 'webmail', 'La Poste Mail'),
	('domain', 'proton.me', 'webmail', 'Proton Mail'),
	('domain', 'protonmail.com', 'webmail', 'Proton Mail'),
	('domain', 'gmx.fr', 'webmail', 'GMX'),
	-- URL shorteners: only the home page and the bare domain; a short link (bit.ly/abc) is not covered.
	('domain', 'bit.ly', 'shortener', 'Bitly'),
	('domain', 'tinyurl.com', 'shortener', 'TinyURL'),
	('domain', 't.co', 'shortener', 'X (Twitter) link shortener'),
	('domain', 'goo.gl', 'shortener', 'Google URL Shortener'),
	('domain', 'ow.ly', 'shortener', 'Hootsuite Ow.ly'),
	('domain', 'is.gd', 'shortener', 'is.gd'),
	('domain', 'cutt.ly', 'shortener', 'Cuttly'),
	('domain', 'rebrand.ly', 'shortener', 'Rebrandly'),
	-- Platforms and shops: home pages only; a profile, an advert or a page is not covered.
	('domain', 'facebook.com', 'platform', 'Facebook'),
	('domain', 'messenger.com', 'platform', 'Messenger (Meta)'),
	('domain', 'instagram.com', 'platform', 'Instagram'),
	('domain', 'whatsapp.com', 'platform', 'WhatsApp'),
	('domain', 'tiktok.com', 'platform', 'TikTok'),
	('domain', 'x.com', 'platform', 'X (Twitter)'),
	('domain', 'twitter.com', 'platform', 'X (Twitter)'),
	('domain', 'youtube.com', 'platform', 'YouTube'),
	('domain', 'snapchat.com', 'platform', 'Snapchat'),
	('domain', 'linkedin.com', 'platform', 'LinkedIn'),
	('domain', 'telegram.org', 'platform', 'Telegram'),
	('domain', 't.me', 'platform', 'Telegram'),
	('domain', 'discord.com', 'platform', 'Discord'),
	('domain', 'google.com', 'platform', 'Google'),
	('domain', 'google.fr', 'platform', 'Google'),
	('domain', 'leboncoin.fr', 'platform', 'leboncoin'),
	('domain', 'vinted.fr', 'platform', 'Vinted'),
	('domain', 'amazon.fr', 'platform', 'Amazon'),
	('domain', 'amazon.com', 'platform', 'Amazon'),
	('domain', 'ebay.fr', 'platform', 'eBay'),
	('domain', 'cdiscount.com', 'platform', 'Cdiscount'),
	('domain', 'paypal.com', 'platform', 'PayPal'),
	('domain', 'booking.com', 'platform', 'Booking.com'),
	('domain', 'airbnb.fr', 'platform', 'Airbnb'),
	-- Banks: the official domains of their websites (each bank's own site).
	('domain', 'credit-agricole.fr', 'bank', 'Crédit Agricole'),
	('domain', 'societegenerale.fr', 'bank', 'Société Générale'),
	('domain', 'mabanque.bnpparibas', 'bank', 'BNP Paribas'),
	('domain', 'bnpparibas.com', 'bank', 'BNP Paribas'),
	('domain', 'lcl.fr', 'bank', 'LCL'),
	('domain', 'labanquepostale.fr', 'bank', 'La Banque Postale'),
	('domain', 'caisse-epargne.fr', 'bank', 'Caisse d''Épargne'),
	('domain', 'banquepopulaire.fr', 'bank', 'Banque Populaire'),
	('domain', 'creditmutuel.fr', 'bank', 'Crédit Mutuel'),
	('domain', 'cic.fr', 'bank', 'CIC'),
	('domain', 'boursobank.com', 'bank', 'BoursoBank'),
	('domain', 'hellobank.fr', 'bank', 'Hello bank!'),
	('domain', 'fortuneo.fr', 'bank', 'Fortuneo'),
	-- The interbank card-blocking line, as service-public.fr gives it (fiche F2428,
	-- « Blocage complet de la carte bancaire : opposition générale »): 0 892 705 705,
	-- and +33 442 605 303 from abroad. No bank's own number is listed: none was
	-- checked against a source here, and a wrong one would hide a crook's.
	('phone', '+33892705705', 'bank', 'Serveur interbancaire d''opposition à carte bancaire'),
	('phone', '+33442605303', 'bank', 'Serveur interbancaire d''opposition à carte bancaire (depuis l''étranger)'),
	-- Public services that scams impersonate: their official domains.
	('domain', 'service-public.fr', 'public_service', 'Service-Public.fr'),
	('domain', 'impots.gouv.fr', 'public_service', 'impots.gouv.fr (DGFiP)'),
	('domain', 'ameli.fr', 'public_service', 'ameli (Assurance Maladie)'),
	('domain', 'caf.fr', 'public_service', 'Caisse d''allocations familiales'),
	('domain', 'ants.gouv.fr', 'public_service', 'ANTS'),
	('domain', 'antai.gouv.fr', 'public_service', 'ANTAI'),
	('domain', 'francetravail.fr', 'public_service', 'France Travail'),
	('domain', 'interieur.gouv.fr', 'public_service', 'Ministère de l''Intérieur'),
	('domain', 'cybermalveillance.gouv.fr', 'public_service', 'Cybermalveillance.gouv.fr'),
	('domain', 'laposte.fr', 'public_service', 'La Poste'),
	('domain', 'chronopost.fr', 'public_service', 'Chronopost')
) AS seed (kind, canonical, category, label);
