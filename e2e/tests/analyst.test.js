// The analysts' desk for reports (signalements) in real Chromium on the
// demo. An analyst signs in (password + TOTP), reads the queue (threats
// before scams), searches a phone number of the phishing campaign, opens
// the demo's phishing sample: its link and number are in a hundred other
// reports, the rules routed it to the cybercrime office and the spam
// observatory and say why; she opens the reporter's account with a
// purpose, passes the report to the DGCCRF (refused first without a
// reason), records each service's outcome and the report is dealt with.
// The reporter, with the printed reference and tracking code, reads where
// it went, why, the outcomes and who opened it for what. A supervisor
// tries a new rule over the last 30 days and saves it; an analyst cannot
// write rules. On a phone, in English, the report page fits the screen.
// axe-core (WCAG 2.1 A/AA) finds nothing on any page visited.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { demoAgent, demoReport } from '../lib/demo.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, fr, track } from '../lib/journey.js';
import { PHONE, sidewaysScroll } from '../lib/phone.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

// The demo's phishing campaign (internal/demo/reports.go).
const CAMPAIGN_LINK = 'https://lnk.example/c0lis-7Hq';
const CAMPAIGN_NUMBER = '01 99 00 12 34';

const LOGIN_WORDS = {
  fr: { login: 'Matricule', password: 'Mot de passe', submit: 'Se connecter', code: 'Code de vérification', verify: 'Valider' },
  en: { login: 'Service number', password: 'Password', submit: 'Sign in', code: 'Verification code', verify: 'Verify' },
};

// The 30-second TOTP step last used per login: the server refuses a code
// used twice, so a second sign-in in the same step waits for the next.
const lastStep = new Map();

/** Signs serviceNumber in from /agent/connexion, in lang; lands where the back office sends them. */
async function signIn(page, base, serviceNumber, lang = 'fr') {
  const w = LOGIN_WORDS[lang];
  await page.goto(`${base}/agent/connexion`);
  await page.getByLabel(w.login).fill(serviceNumber);
  await page.getByLabel(w.password, { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: w.submit }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
  let step = Math.floor(Date.now() / 30_000);
  if (lastStep.get(serviceNumber) === step) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 200));
    step = Math.floor(Date.now() / 30_000);
  }
  lastStep.set(serviceNumber, step);
  await page.getByLabel(w.code).fill(totp(demoKey(serviceNumber)));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/agent/connexion')), page.getByRole('button', { name: w.verify }).click()]);
}

/** Text as read, spaces of any kind made plain. */
async function textOf(locator) {
  return (await locator.innerText()).replace(/[\u00a0\u202f\u2060]/g, ' ');
}

/**
 * The controls of the page's main content smaller than 44×44 CSS px (the
 * back office's shared header and navigation are left out), as
 * "what text W×H".
 */
async function smallInMain(page) {
  return page.locator('main').evaluate((main) => {
    const out = [];
    for (const el of main.querySelectorAll('a[href], button, select, textarea, input:not([type=hidden])')) {
      if (!el.checkVisibility()) continue;
      let r = el.getBoundingClientRect();
      if (el.type === 'checkbox' || el.type === 'radio') {
        const l = el.labels?.[0]?.getBoundingClientRect();
        if (l) r = { width: Math.max(r.right, l.right) - Math.min(r.left, l.left), height: Math.max(r.bottom, l.bottom) - Math.min(r.top, l.top) };
      }
      if (r.width + 0.05 < 44 || r.height + 0.05 < 44) {
        out.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.name || '').trim().slice(0, 40)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return out;
  });
}

/** Clicks and waits for the next page. */
async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

describe("analysts' desk for reports", { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  // Read at once: the harness keeps the last lines of output only.
  let sample;
  let analyst;
  let supervisor;
  before(() => {
    if (support.skip) return;
    const out = env.server.output();
    sample = demoReport(out, 'phishing');
    analyst = demoAgent(out, 'ANA-P05');
    supervisor = demoAgent(out, 'SUP-P05');
  });

  test('an analyst works a phishing report through; its reporter reads what was done', async () => {
    const audit = new AxeAudit();
    const dgccrfReason = 'Les frais de livraison demandés relèvent aussi de la protection des consommateurs.';

    await env.withPage(contextOptions({ viewport: { width: 1280, height: 800 } }), async (page) => {
      await signIn(page, env.url, 'ANA-P05');
      assert.equal(new URL(page.url()).pathname, '/agent/signalements', 'an analyst lands on the reports');
      await expectHeading(page, 'Signalements à traiter');
      await audit.check(page, 'file des signalements');

      // The queue: threats before scams.
      const queue = page.getByRole('table', { name: fr('Signalements, les plus urgents d’abord') });
      const cats = await queue.locator('tbody tr td:nth-child(2)').allInnerTexts();
      assert.ok(cats.length > 0, 'the queue lists reports');
      const lastThreat = cats.findLastIndex((c) => c === 'Menaces, harcèlement');
      const firstScam = cats.findIndex((c) => /^(Hameçonnage|Faux site de vente|Arnaque au placement)/.test(c));
      assert.ok(lastThreat >= 0, `threats are in the queue: ${cats.slice(0, 12).join(' | ')}`);
      assert.ok(firstScam > lastThreat, `threats come before scams: ${cats.slice(0, 12).join(' | ')}`);
      // Some 400 reports are open: the page says it shows the first 100.
      assert.equal(cats.length, 100, 'the queue shows a page of 100');
      await page.getByText(fr('Seuls les 100 premiers sont affichés : choisissez une nature, un état ou une voie pour voir les autres.')).waitFor();

      // Search a number of the campaign, as typed.
      await page.getByLabel(fr('Rechercher un lien, un numéro, une adresse, un IBAN…')).fill(CAMPAIGN_NUMBER);
      await go(page, page.getByRole('button', { name: 'Rechercher', exact: true }));
      const said = page.getByRole('status').filter({ hasText: /Recherche de \+33 1 99 00 12 34 \(Numéro de téléphone\)/ });
      await said.waitFor();
      const results = page.getByRole('table', { name: 'Signalements contenant cette valeur, les plus récents d’abord' });
      const found = await results.locator('tbody tr td:nth-child(2)').allInnerTexts();
      assert.ok(found.length >= 100, `the search finds the campaign's reports (${found.length})`);
      assert.match(await textOf(said), /Au moins 100 signalements la contiennent : les 100 plus récents sont affichés\./, 'the page says some are left out');
      assert.ok(found.every((c) => c.startsWith('Hameçonnage')), `every report found is phishing: ${[...new Set(found)].join(' | ')}`);
      await audit.check(page, 'recherche');

      // The printed sample holds that number; open it from the results if listed.
      const listed = await results.getByRole('link').allInnerTexts();
      if (listed.includes(sample.ref)) await go(page, results.getByRole('link', { name: sample.ref }));
      else await page.goto(`${env.url}/agent/signalements/${sample.ref}`);
      await expectHeading(page, `Signalement ${sample.ref}`);

      // Its values, as read and as typed, each in a hundred other reports.
      const values = page.getByRole('region', { name: 'Éléments signalés' }).getByRole('table');
      for (const [what, canonical] of [
        ['Lien', CAMPAIGN_LINK],
        ['Numéro de téléphone', '+33199001234'],
      ]) {
        const row = values.getByRole('row').filter({ has: page.getByRole('cell', { name: new RegExp(`^${what}`) }) }).filter({ hasText: canonical });
        assert.equal(await row.count(), 1, `the ${what} ${canonical} is listed once`);
        const text = await textOf(row);
        const n = Number(/dans (\d+) autre\(s\) signalement\(s\)/.exec(text)?.[1]);
        assert.ok(n >= 100, `the ${what} is in ${n} other reports: ${text}`);
      }
      assert.match(await textOf(values), new RegExp(CAMPAIGN_NUMBER), 'the number is shown as typed too');

      // Routes: the rules that fired, their version, and why.
      const routing = page.getByRole('region', { name: 'Orientation' });
      const routes = routing.locator('.route-list > li');
      const cyber = routes.filter({ hasText: 'Office de lutte contre la cybercriminalité' });
      const spam = routes.filter({ hasText: 'Observatoire des messages indésirables' });
      assert.match(await textOf(cyber), /transmis/);
      assert.match(await textOf(cyber), /règle « Escroqueries en ligne », version 1/);
      assert.match(await textOf(cyber), /Les escroqueries en ligne sont examinées par l’office de lutte contre la cybercriminalité/);
      assert.match(await textOf(spam), /règle « Messages indésirables », version 1/);
      assert.match(await textOf(spam), /transmis à l’observatoire des messages indésirables/);
      await audit.check(page, 'signalement');

      // Open the reporter's account, with a purpose.
      const account = page.getByRole('region', { name: 'Récit et adresse du déclarant' });
      await account.getByLabel('Motif de la consultation').selectOption({ label: 'Analyse du signalement' });
      await go(page, account.getByRole('button', { name: 'Ouvrir' }));
      await expectHeading(page, `Signalement ${sample.ref}`);
      assert.match(await textOf(account), /Que s’est-il passé/, 'the reporter’s account is shown');
      assert.equal(await account.getByRole('button', { name: 'Ouvrir' }).count(), 0, 'the account is open');
      await audit.check(page, 'signalement ouvert');

      // Pass it to the DGCCRF: without a reason it is refused.
      const add = routing.locator('form').filter({ has: page.getByRole('button', { name: 'Transmettre', exact: true }) });
      await add.getByLabel('Service', { exact: true }).selectOption({ label: 'DGCCRF (protection des consommateurs)' });
      await go(page, add.getByRole('button', { name: 'Transmettre', exact: true }));
      const summary = page.getByRole('alert');
      await summary.waitFor();
      const reason = page.getByLabel('Motif', { exact: true });
      assert.equal(await reason.getAttribute('aria-invalid'), 'true', 'the reason is marked invalid');
      const errId = await reason.getAttribute('aria-describedby');
      assert.ok(errId, 'the reason field is described by its error');
      const message = await textOf(page.locator(`#${errId}`));
      assert.match(message, /Indiquez le motif/, 'the error is beside the field');
      assert.match(await textOf(summary), /Indiquez le motif/, 'and in the summary');
      const toField = summary.getByRole('link', { name: /Indiquez le motif/ });
      assert.equal(await toField.getAttribute('href'), `#${await reason.getAttribute('id')}`, 'the summary links to the field');
      assert.equal(
        await page.getByLabel('Service', { exact: true }).inputValue(),
        'dgccrf',
        'the chosen service is kept',
      );
      assert.equal(await routes.filter({ hasText: 'DGCCRF' }).count(), 0, 'nothing was sent');
      await audit.check(page, 'transmission refusée');

      await reason.fill(dgccrfReason);
      await go(page, page.getByRole('button', { name: 'Transmettre', exact: true }));
      await page.getByRole('status').filter({ hasText: 'C’est enregistré.' }).waitFor();
      const dgccrf = routes.filter({ hasText: 'DGCCRF (protection des consommateurs)' });
      assert.match(await textOf(dgccrf), new RegExp(`transmis.*${dgccrfReason.replace(/\./g, '\\.')}.*par agent n° ${analyst.pseudonym}`, 's'));

      // An outcome for each service still holding it.
      const outcomes = {
        'Office de lutte contre la cybercriminalité': 'Site bloqué',
        'Observatoire des messages indésirables': 'Numéro coupé',
        'DGCCRF (protection des consommateurs)': 'Pas une infraction',
      };
      for (const [service, outcome] of Object.entries(outcomes)) {
        await page.getByLabel(`Suite donnée par ${service}`).selectOption({ label: outcome });
        const form = routing.locator('form').filter({ has: page.getByLabel(`Suite donnée par ${service}`) });
        await go(page, form.getByRole('button', { name: 'Enregistrer la suite' }));
        await page.getByRole('status').filter({ hasText: 'C’est enregistré.' }).waitFor();
        assert.match(await textOf(routes.filter({ hasText: service })), new RegExp(`traité — ${outcome}`));
      }
      const state = page.locator('dl.summary-list').first();
      assert.match(await textOf(state), /État\s*Traité/, 'the report is dealt with');
      assert.equal(await page.getByRole('button', { name: 'Enregistrer la suite' }).count(), 0, 'no outcome is left to record');
      await audit.check(page, 'signalement traité');

      await go(page, page.getByRole('navigation', { name: "Navigation de l'espace agent" }).getByRole('link', { name: 'Règles d’orientation' }));
      await expectHeading(page, 'Règles d’orientation');
      assert.equal(await page.getByRole('link', { name: 'Nouvelle règle' }).count(), 0, 'an analyst is not offered a new rule');
      assert.equal(await page.getByRole('table').getByRole('link').count(), 0, 'nor to edit one');
      await audit.check(page, 'règles (analyste)');
      const form = await page.goto(`${env.url}/agent/regles/nouvelle`);
      assert.equal(form.status(), 404, 'the rule form is not for analysts');
    });

    // The reporter, with the printed reference and code.
    await env.withPage(contextOptions(), async (page) => {
      await track(page, env.url, sample.ref, sample.code);
      await expectHeading(page, `Signalement ${sample.ref}`);
      const main = page.locator('main');
      assert.match(await textOf(main), /Où il en est\s*Traité/, 'the reporter reads that it was dealt with');
      const went = page.getByRole('region', { name: 'Où votre signalement a été transmis' });
      const item = (s) => went.getByRole('listitem').filter({ hasText: s });
      assert.match(await textOf(item('Office de lutte contre la cybercriminalité')),
        /Pourquoi : Les escroqueries en ligne sont examinées.*Suite donnée : Site bloqué/s);
      assert.match(await textOf(item('Observatoire des messages indésirables')),
        /Pourquoi : Les messages non sollicités.*Suite donnée : Numéro coupé/s);
      assert.match(await textOf(item('DGCCRF')), new RegExp(`Pourquoi : ${dgccrfReason.replace(/\./g, '\\.')}.*Suite donnée : Pas une infraction`, 's'));
      const opened = page.getByRole('region', { name: 'Qui a consulté votre signalement' });
      assert.match(await textOf(opened), new RegExp(`Un enquêteur \\(${analyst.pseudonym}\\) — Analyse du signalement`));
      await audit.check(page, 'suivi du déclarant');
    });

    assert.equal(audit.pages.length, 8, 'axe ran on every page visited');
    assert.equal(audit.count(), 0, audit.report());
  });

  test('a supervisor tries a rule over the last 30 days, then saves it', async () => {
    const audit = new AxeAudit();
    const name = `IBAN vers Interpol ${Date.now()}`;
    await env.withPage(contextOptions({ viewport: { width: 1280, height: 800 } }), async (page) => {
      await signIn(page, env.url, 'SUP-P05');
      await page.goto(`${env.url}/agent/regles`);
      await expectHeading(page, 'Règles d’orientation');
      await audit.check(page, 'règles');
      await go(page, page.getByRole('link', { name: 'Nouvelle règle' }));
      await expectHeading(page, 'Nouvelle règle');
      await audit.check(page, 'nouvelle règle');

      await page.getByLabel('Nom de la règle').fill(name);
      await page.getByRole('group', { name: 'Le signalement contient' }).getByLabel('IBAN', { exact: true }).check();
      await page.getByRole('group', { name: 'Transmettre à' }).getByLabel('Interpol, par le bureau central national').check();
      await page.getByLabel('Motif, en français').fill('Les comptes bancaires à l’étranger sont signalés à Interpol.');
      await page.getByLabel('Motif, en anglais').fill('Bank accounts abroad are reported to Interpol.');
      assert.equal(await page.getByRole('button', { name: 'Enregistrer cette règle' }).count(), 0, 'a rule is tried before it can be saved');
      await go(page, page.getByRole('button', { name: 'Essayer sur les 30 derniers jours' }));

      const dry = page.getByRole('region', { name: 'Essai sur les 30 derniers jours' });
      const said = await textOf(dry.getByRole('status'));
      const m = /Sur (\d+) signalement\(s\) reçus ces 30 derniers jours, cette règle en aurait orienté (\d+), dont (\d+) vers un service/.exec(said);
      assert.ok(m, `the dry run says what it would do: ${said}`);
      const [total, matched, fresh] = m.slice(1).map(Number);
      assert.ok(total >= 400 && matched > 0 && fresh > 0 && matched <= total, `counts: ${said}`);
      assert.match(await textOf(dry), new RegExp(`Interpol, par le bureau central national : ${matched}`));
      assert.equal(await page.getByLabel('Nom de la règle').inputValue(), name, 'the rule as typed is kept');
      await audit.check(page, 'essai de la règle');

      await go(page, page.getByRole('button', { name: 'Enregistrer cette règle' }));
      assert.equal(new URL(page.url()).pathname, '/agent/regles');
      await page.getByRole('status').filter({ hasText: fr(`La règle « ${name} » est enregistrée, version 1 : elle s’applique désormais aux nouveaux signalements.`) }).waitFor();
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
      await row.waitFor();
      const text = await textOf(row);
      assert.match(text, /IBAN/);
      assert.match(text, /Interpol, par le bureau central national/);
      assert.match(text, new RegExp(`v1 par ${supervisor.pseudonym}`));
      await audit.check(page, 'règle enregistrée');
    });
    assert.equal(audit.pages.length, 4, 'axe ran on every page visited');
    assert.equal(audit.count(), 0, audit.report());
  });

  test("on a phone, in English, the analyst's report page fits the screen", async () => {
    const audit = new AxeAudit();
    await env.withPage({ ...PHONE, locale: 'en-GB', timezoneId: 'Europe/Paris' }, async (page) => {
      await signIn(page, env.url, 'ANA-P05', 'en');
      await expectHeading(page, 'Reports to handle');
      let w = await sidewaysScroll(page);
      assert.ok(w.scroll <= w.view && w.wide.length === 0, `the queue does not scroll sideways (${w.scroll} px in ${w.view}): ${w.wide.join(', ')}`);
      assert.deepEqual(await smallInMain(page), [], 'every control of the queue is a 44 px target');
      await audit.check(page, 'queue (phone)');

      await page.getByLabel('Search for a link, a number, an address, an IBAN…').fill(CAMPAIGN_LINK);
      await go(page, page.getByRole('button', { name: 'Search', exact: true }));
      const results = page.getByRole('table', { name: 'Reports holding this value, most recent first' });
      await go(page, results.getByRole('link').first());
      await expectHeading(page, /^Report SG-/);
      w = await sidewaysScroll(page);
      assert.ok(w.scroll <= w.view && w.wide.length === 0, `the report does not scroll sideways (${w.scroll} px in ${w.view}): ${w.wide.join(', ')}`);
      assert.deepEqual(await smallInMain(page), [], 'every control of the report is a 44 px target');
      const values = page.getByRole('region', { name: 'Values reported' });
      assert.match(await textOf(values), /in \d+ other report\(s\)/);
      await page.getByRole('heading', { name: 'Routing' }).waitFor();
      for (const control of [page.getByLabel('Purpose of opening'), page.getByRole('button', { name: 'Open', exact: true })]) {
        const box = await control.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= w.view, 'the account form is on screen');
      }
      await audit.check(page, 'report (phone)');
    });
    assert.equal(audit.pages.length, 2, 'axe ran on every page visited');
    assert.equal(audit.count(), 0, audit.report());
  });
});
