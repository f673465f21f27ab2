// The analysts' campaign pages and the supervisors' known-good list, in
// real Chromium on the demo, with JavaScript disabled throughout. An
// analyst opens the phishing campaign from the list of campaigns: its
// values, the real card-blocking line the crooks quote said not to link
// (known-good) and why; she passes the whole campaign to two services with
// a reason, confirming each time, and reads the counts; she records the
// DGCCRF's outcome across it. The reporter of the demo's phishing sample
// reads that outcome on /suivi with their code. A supervisor adds a
// known-good value (refused first without whose it is, what was typed
// kept) and removes it. The analyst's pages (queue, report, campaigns,
// campaign, known-good list) pass axe-core with no violation, in French
// and in English.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { WCAG_TAGS, formatViolations } from '../lib/axe.js';
import { demoAgent, demoReport } from '../lib/demo.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, fr, track } from '../lib/journey.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const NO_JS = contextOptions({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
const NAV = "Navigation de l'espace agent";

/** Runs fn in an isolated world of the page (works with scripts off). */
async function inPage(page, expression) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { frameTree } = await cdp.send('Page.getFrameTree');
    const { executionContextId } = await cdp.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: 'e2e-axe' });
    const r = await cdp.send('Runtime.evaluate', { expression, contextId: executionContextId, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  } finally {
    await cdp.detach();
  }
}

/** Asserts axe (WCAG 2.1 A/AA) finds nothing on the page, scripts off. */
async function axeClean(page, label, seen) {
  const shim = 'window.setTimeout = (fn, ms, ...a) => { if (!(ms > 1)) queueMicrotask(() => fn(...a)); return 0; }; window.clearTimeout = () => {};';
  const run = `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })) })))`;
  const violations = await inPage(page, `${shim}\n${AXE_SOURCE}\n;${run}`);
  assert.equal(violations.length, 0, formatViolations(label, violations));
  seen.push(label);
}

const lastStep = new Map();

/** Signs serviceNumber in (password + TOTP), in French. */
async function signIn(page, base, serviceNumber) {
  await page.goto(`${base}/agent/connexion`);
  await page.getByLabel('Matricule').fill(serviceNumber);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await go(page, page.getByRole('button', { name: 'Se connecter' }));
  let step = Math.floor(Date.now() / 30_000);
  if (lastStep.get(serviceNumber) === step) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 200));
    step = Math.floor(Date.now() / 30_000);
  }
  lastStep.set(serviceNumber, step);
  await page.getByLabel('Code de vérification').fill(totp(demoKey(serviceNumber)));
  await go(page, page.getByRole('button', { name: 'Valider' }));
  assert.ok(!new URL(page.url()).pathname.startsWith('/agent/connexion'), `${serviceNumber} is signed in`);
}

/** Clicks and waits for the next page. */
async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

/** Text as read, spaces of any kind made plain. */
async function textOf(locator) {
  return (await locator.innerText()).replace(/[\u00a0\u202f\u2060]/g, ' ');
}

describe('campaigns and the known-good list, without JavaScript', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  let sample;
  before(() => {
    if (support.skip) return;
    const out = env.server.output();
    sample = demoReport(out, 'phishing');
    demoAgent(out, 'ANA-P05');
    demoAgent(out, 'SUP-P05');
  });

  test('an analyst routes the phishing campaign and records its outcome; its reporter reads it', async () => {
    const audited = [];
    const reason = 'Campagne de faux frais de livraison : frais demandés au consommateur.';
    let campaignPath;
    await env.withPage(NO_JS, async (page) => {
      await signIn(page, env.url, 'ANA-P05');
      await expectHeading(page, 'Signalements à traiter');
      await axeClean(page, 'file (fr)', audited);
      await go(page, page.getByRole('link', { name: 'Voir les campagnes' }));
      await expectHeading(page, 'Campagnes');
      await axeClean(page, 'campagnes (fr)', audited);

      // The largest first: the phishing campaign.
      const list = page.getByRole('table', { name: fr('Campagnes, les plus grandes d’abord (page 1)') });
      const first = list.locator('tbody tr').first();
      assert.match(await textOf(first), /Hameçonnage/, 'the largest campaign is the phishing one');
      const size = Number((await first.locator('td').first().innerText()).trim());
      assert.ok(size >= 300, `it holds ${size} reports`);
      await go(page, first.getByRole('link'));
      await expectHeading(page, /^Campagne C-\d{4}-/);
      campaignPath = new URL(page.url()).pathname;

      // Its values: the link and numbers link; the card-blocking line is known-good.
      const values = page.getByRole('table', { name: fr('Valeurs présentes dans au moins deux signalements de la campagne', { exact: false }) });
      const link = values.getByRole('row').filter({ hasText: 'lnk.example' });
      assert.match(await textOf(link), /Relie/, 'the short link links the reports');
      const card = values.getByRole('row').filter({ hasText: 'Serveur interbancaire' });
      assert.equal(await card.count(), 1, 'the card-blocking line is listed');
      assert.match(await textOf(card), /Ne relie pas : valeur connue, banque — Serveur interbancaire d.opposition à carte bancaire/,
        'it does not link, and the page says why');
      await axeClean(page, 'campagne (fr)', audited);

      // Route the campaign to two services, confirming each time.
      const bulk = page.getByRole('region', { name: 'Agir sur toute la campagne' });
      for (const service of ['DGCCRF (protection des consommateurs)', 'Commissariat ou brigade du lieu']) {
        const form = bulk.locator('form').filter({ has: page.getByRole('button', { name: 'Transmettre la campagne' }) });
        await form.getByLabel('Service', { exact: true }).selectOption({ label: service });
        await form.getByLabel('Motif', { exact: true }).fill(reason);
        await go(page, form.getByRole('button', { name: 'Transmettre la campagne' }));
        await expectHeading(page, /^Confirmer/);
        assert.match(await textOf(page.locator('main')), new RegExp(`Transmettre à ${service.replace(/[()]/g, '\\$&')} chaque signalement ouvert`));
        await go(page, page.getByRole('button', { name: 'Confirmer' }));
        const said = await textOf(page.getByRole('status').filter({ hasText: 'transmis à' }));
        const m = /(\d+) signalement\(s\) transmis à : /.exec(said);
        assert.ok(m && Number(m[1]) >= 250, `the counts are said: ${said}`);
        assert.match(said, /\d+ déjà chez ce service/);
        assert.match(said, /\d+ clos, non touchés/);
        const closed = Number(/(\d+) clos/.exec(said)[1]);
        assert.ok(closed > 0, 'the reports the seed closed are left alone');
        if (service.startsWith('DGCCRF')) await axeClean(page, 'campagne, résultat (fr)', audited);
      }
      const routing = page.getByRole('table', { name: fr('Services auxquels les signalements de la campagne ont été transmis, avec leur nombre') });
      assert.match(await textOf(routing), /DGCCRF/, 'the routing lists the DGCCRF');

      // The DGCCRF's outcome across the campaign.
      const form = bulk.locator('form').filter({ has: page.getByRole('button', { name: 'Enregistrer la suite' }) });
      await form.getByLabel('Service', { exact: true }).selectOption({ label: 'DGCCRF (protection des consommateurs)' });
      await form.getByLabel('Suite donnée', { exact: true }).selectOption({ label: 'Site bloqué' });
      await go(page, form.getByRole('button', { name: 'Enregistrer la suite' }));
      await expectHeading(page, /^Confirmer/);
      await axeClean(page, 'confirmation (fr)', audited);
      await go(page, page.getByRole('button', { name: 'Confirmer' }));
      const said = await textOf(page.getByRole('status').filter({ hasText: 'Suite enregistrée' }));
      assert.match(said, /Suite enregistrée sur \d+ signalement\(s\) transmis à : DGCCRF/);

      // The report page links its campaign.
      await page.goto(`${env.url}/agent/signalements/${sample.ref}`);
      await expectHeading(page, `Signalement ${sample.ref}`);
      await page.getByRole('link', { name: /^Campagne C-/ }).waitFor();
      assert.equal(await page.getByRole('link', { name: /^Campagne C-/ }).getAttribute('href'), campaignPath);
      await axeClean(page, 'signalement (fr)', audited);

      await go(page, page.getByRole('navigation', { name: NAV }).getByRole('link', { name: 'Valeurs sûres' }));
      await expectHeading(page, 'Valeurs sûres');
      assert.equal(await page.getByRole('button', { name: 'Ajouter à la liste' }).count(), 0, 'an analyst reads the list only');
      assert.equal(await page.getByRole('button', { name: /^Retirer/ }).count(), 0, 'and removes nothing');
      await axeClean(page, 'valeurs sûres (fr)', audited);

      // The same pages in English.
      await go(page, page.getByRole('navigation', { name: NAV }).getByRole('link', { name: 'English' }));
      await expectHeading(page, 'Known-good values');
      await axeClean(page, 'known-good (en)', audited);
      for (const [path, heading] of [
        ['/agent/signalements', 'Reports to handle'],
        ['/agent/campagnes', 'Campaigns'],
        [campaignPath, /^Campaign C-/],
        [`/agent/signalements/${sample.ref}`, `Report ${sample.ref}`],
      ]) {
        await page.goto(env.url + path);
        await expectHeading(page, heading);
        await axeClean(page, `${path} (en)`, audited);
      }
      assert.match(await textOf(page.locator('main')), /Campaign C-/, 'the report names its campaign in English');
    });

    // The reporter of the phishing sample reads the DGCCRF's outcome.
    await env.withPage(NO_JS, async (page) => {
      await track(page, env.url, sample.ref, sample.code);
      await expectHeading(page, `Signalement ${sample.ref}`);
      const went = page.getByRole('region', { name: 'Où votre signalement a été transmis' });
      const dgccrf = went.getByRole('listitem').filter({ hasText: 'DGCCRF' });
      assert.match(await textOf(dgccrf), /Pourquoi : Campagne de faux frais de livraison.*Suite donnée : Site bloqué/s);
      assert.match(await textOf(went.getByRole('listitem').filter({ hasText: 'Commissariat ou brigade du lieu' })), /Campagne de faux frais/);
      await axeClean(page, 'suivi du déclarant', audited);
    });
    assert.equal(audited.length, 13, `axe ran on every page: ${audited.join(', ')}`);
  });

  test('a supervisor adds a known-good value, then removes it', async () => {
    const audited = [];
    await env.withPage(NO_JS, async (page) => {
      await signIn(page, env.url, 'SUP-P05');
      await page.goto(`${env.url}/agent/valeurs-sures`);
      await expectHeading(page, 'Valeurs sûres');
      await axeClean(page, 'valeurs sûres (superviseur)', audited);
      const form = page.getByRole('region', { name: 'Ajouter une valeur' });
      await form.getByLabel('Type de valeur').selectOption({ label: 'Nom de domaine' });
      await form.getByLabel('Valeur', { exact: true }).fill('Banque-Exemple.example');
      await form.getByLabel('Catégorie').selectOption({ label: 'banque' });
      await go(page, form.getByRole('button', { name: 'Ajouter à la liste' }));

      // Refused without whose it is; what was typed is kept.
      const summary = page.getByRole('alert');
      await summary.waitFor();
      assert.match(await textOf(summary), /À qui elle appartient/);
      assert.equal(await form.getByLabel('Valeur', { exact: true }).inputValue(), 'Banque-Exemple.example');
      assert.equal(await form.getByLabel('Type de valeur').inputValue(), 'domain');
      assert.equal(await form.getByLabel('À qui elle appartient').getAttribute('aria-invalid'), 'true');
      await axeClean(page, 'ajout refusé', audited);

      await form.getByLabel('À qui elle appartient').fill('Banque Exemple');
      await go(page, form.getByRole('button', { name: 'Ajouter à la liste' }));
      await page.getByRole('status').filter({ hasText: 'domain:banque-exemple.example figure sur la liste' }).waitFor();
      const row = page.getByRole('row').filter({ hasText: 'banque-exemple.example' });
      assert.match(await textOf(row), /Banque Exemple/);
      await axeClean(page, 'valeur ajoutée', audited);

      await go(page, row.getByRole('button', { name: 'Retirer banque-exemple.example' }));
      await page.getByRole('status').filter({ hasText: 'retirée de la liste' }).waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: 'banque-exemple.example' }).count(), 0, 'the value is off the list');
    });
    assert.equal(audited.length, 3);
  });
});
