// The dispatchers' console for silent alerts in real Chromium on the demo.
// The dispatcher of Lyon 3e (DSP-L03) signs in and lands on the open
// alerts of the area: the demo's two seeded alerts are listed. The demo
// raises one more alert a little after start (--alert-after): the open
// console shows it live, without a reload (Server-Sent Events). She opens
// it: the map, the nearest units; she takes it, writes to the person,
// sends the nearest unit and closes it as a false alert. The supervisor
// of Lyon 3e, with JavaScript off, works a seeded alert with plain forms.
// axe-core (WCAG 2.1 A/AA) finds nothing on any page visited.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, fr } from '../lib/journey.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

// How long after start the demo raises its extra alert: time for the
// dispatcher to sign in and open the console first.
const ALERT_AFTER_S = 25;

const lastStep = new Map();

/** Signs serviceNumber in (French); lands where the back office sends them. */
async function signIn(page, base, serviceNumber) {
  await page.goto(`${base}/agent/connexion`);
  await page.getByLabel('Matricule').fill(serviceNumber);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
  let step = Math.floor(Date.now() / 30_000);
  if (lastStep.get(serviceNumber) === step) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 200));
    step = Math.floor(Date.now() / 30_000);
  }
  lastStep.set(serviceNumber, step);
  await page.getByLabel('Code de vérification').fill(totp(demoKey(serviceNumber)));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/agent/connexion')), page.getByRole('button', { name: 'Valider' }).click()]);
}

/** Clicks and waits for the next page. */
async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

/** The alerts the demo seeded, as printed. */
function seededAlerts(output) {
  const m = /and \d+ open silent alerts near CSP-LYON03: (AL-[0-9A-Z-]+), (AL-[0-9A-Z-]+)/.exec(output);
  assert.ok(m, `the demo printed its seeded alerts:\n${output}`);
  return [m[1], m[2]];
}

/**
 * Waits, without reloading, for a reference in table other than known,
 * and returns it (the demo's output is no help: request logs soon push
 * the line out of what the harness keeps).
 */
async function newRef(table, known, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const refs = await table.getByRole('link').allInnerTexts();
    const fresh = refs.map((r) => r.trim()).find((r) => r.startsWith('AL-') && !known.includes(r));
    if (fresh) return fresh;
    if (Date.now() > end) throw new Error(`no new alert listed within ${timeoutMs} ms: ${refs.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('dispatch console', { skip: support.skip }, () => {
  const env = suite({ before, after }, support, { args: ['--alert-after', `${ALERT_AFTER_S}s`] });
  let seeded;
  before(() => {
    if (support.skip) return;
    seeded = seededAlerts(env.server.output());
  });

  test('a dispatcher sees the area’s alerts, a new one arrives live, and she works it through', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page) => {
      await signIn(page, env.url, 'DSP-L03');
      assert.equal(new URL(page.url()).pathname, '/agent/dispatch', 'a dispatcher lands on the console');
      await expectHeading(page, 'Alertes silencieuses en cours');
      const table = page.getByRole('table', { name: fr('Alertes ouvertes de votre secteur') });
      for (const ref of seeded) await table.getByRole('link', { name: ref }).waitFor();
      const listed = (await table.getByRole('link').allInnerTexts()).map((r) => r.trim());
      assert.deepEqual(listed.toSorted(), [...seeded].sort(), 'the console was open before the late alert (raise --alert-after)');
      await page.locator('.dispatch-live[data-live="on"]').waitFor({ timeout: 10_000 });
      await audit.check(page, 'console');

      // The late alert appears without a reload.
      await page.evaluate(() => { window.__sameDocument = true; });
      const late = await newRef(table, seeded, (ALERT_AFTER_S + 20) * 1000);
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
      const row = table.locator('tr', { has: page.getByRole('link', { name: late }) });
      assert.match(await row.innerText(), /Harcèlement/);
      assert.match(await row.innerText(), /Reçue, pas encore prise/);

      // Its page: the map drawn here, the nearest available units.
      await go(page, table.getByRole('link', { name: late }));
      await expectHeading(page, `Alerte ${late}`);
      await page.getByRole('img', { name: 'Carte des positions et des équipages' }).waitFor();
      const units = page.getByRole('table', { name: fr('Équipages disponibles, le plus proche d’abord') });
      const nearest = (await units.locator('tbody th').allInnerTexts())[0];
      assert.match(nearest, /^TV-/, 'a unit is proposed');
      await page.getByRole('link', { name: fr('Ouvrir cette position sur une carte externe') }).waitFor();
      await audit.check(page, 'alerte');

      await go(page, page.getByRole('button', { name: fr('Prendre l’alerte') }));
      await page.getByText(fr('Vous avez pris l’alerte.')).waitFor();
      await page.getByLabel('Message à la personne').fill('Restez cachée, une patrouille arrive.');
      await go(page, page.getByRole('button', { name: 'Envoyer le message' }));
      await page.locator('#dispatch-chat').getByText('Restez cachée, une patrouille arrive.').waitFor();
      await page.getByLabel('Équipage à envoyer').selectOption(nearest);
      await go(page, page.getByRole('button', { name: 'Envoyer cet équipage' }));
      await page.getByText(fr('L’équipage est envoyé.')).waitFor();
      await page.locator('#dispatch-state').getByText(nearest).waitFor();
      await audit.check(page, 'alerte, équipage envoyé');
      await page.getByLabel('Fausse alerte').check();
      await go(page, page.getByRole('button', { name: fr('Clore l’alerte') }));
      await page.getByText(fr('L’alerte est close.')).waitFor();
      await page.locator('#dispatch-state').getByText('Fausse alerte').waitFor();

      await go(page, page.getByRole('link', { name: 'Retour aux alertes en cours' }));
      assert.equal(await table.getByRole('link', { name: late }).count(), 0, 'a closed alert leaves the list');
      await audit.check(page, 'console après clôture');
    });
    assert.equal(audit.count(), 0, `axe-core violations:\n${audit.report()}`);
  });

  test('without JavaScript, the supervisor works a seeded alert with plain forms', async () => {
    const audit = new AxeAudit();
    const ctx = await env.context(contextOptions({ javaScriptEnabled: false }));
    try {
      const page = await ctx.newPage();
      await signIn(page, env.url, 'SUP-L03');
      await page.goto(`${env.url}/agent/dispatch`);
      await expectHeading(page, 'Alertes silencieuses en cours');
      const table = page.getByRole('table', { name: fr('Alertes ouvertes de votre secteur') });
      await go(page, table.getByRole('link', { name: seeded[0] }));
      await expectHeading(page, `Alerte ${seeded[0]}`);
      // The person wrote when the demo raised it.
      await page.locator('#dispatch-chat').getByText('Il est dans l’entrée.').waitFor();
      await go(page, page.getByRole('button', { name: fr('Prendre l’alerte') }));
      await page.getByText(fr('Vous avez pris l’alerte.')).waitFor();
      await page.getByLabel('Réponse rapide').selectOption('on_their_way');
      await go(page, page.getByRole('button', { name: 'Envoyer la réponse rapide' }));
      await page.locator('#dispatch-chat').getByText('Une patrouille arrive').waitFor();
      // An empty message is refused beside its field, summary first.
      await go(page, page.getByRole('button', { name: 'Envoyer le message' }));
      await page.getByRole('alert').getByText(fr('Écrivez un message ou choisissez une réponse rapide.')).waitFor();
    } finally {
      await ctx.close();
    }
    // axe needs JavaScript: the same pages, audited in a context with it.
    await env.withPage(contextOptions(), async (page) => {
      await signIn(page, env.url, 'SUP-L03');
      await page.goto(`${env.url}/agent/dispatch/${seeded[0]}`);
      await audit.check(page, 'alerte (superviseur)');
    });
    assert.equal(audit.count(), 0, `axe-core violations:\n${audit.report()}`);
  });
});
