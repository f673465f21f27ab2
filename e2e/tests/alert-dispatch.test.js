// The silent alert from both ends at once, in two Chromium contexts on
// one demo: a person in Lyon 3e holds the button of the PWA on a phone,
// without a word; the dispatcher of Lyon 3e (DSP-L03), whose console was
// open before, sees the alert arrive live (Server-Sent Events, no reload)
// with its position. She takes it: the phone says "received by the police
// at …" — only then. They chat both ways, silently; the person moves and
// the console's positions table grows without a reload; she sends the
// nearest unit: the phone says a unit is on its way; she closes it and the
// phone says the operator closed it. axe-core finds nothing on either side.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, fr } from '../lib/journey.js';
import { PHONE } from '../lib/phone.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

// Near the Lyon 3e station (12 rue Servient), so DSP-L03's area.
const HERE = { latitude: 45.7612, longitude: 4.8478, accuracy: 12 };
const AL_RE = /AL-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/;
const plain = (s) => s.replace(/[\u00a0\u202f\u2060]/g, ' ');

async function signIn(page, base, serviceNumber) {
  await page.goto(`${base}/agent/connexion`);
  await page.getByLabel('Matricule').fill(serviceNumber);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
  await page.getByLabel('Code de vérification').fill(totp(demoKey(serviceNumber)));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/agent/connexion')), page.getByRole('button', { name: 'Valider' }).click()]);
}

async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

/** Waits until the phone's state line matches re. */
async function phoneState(phone, re, timeout = 20_000) {
  await phone.waitForFunction((src) => new RegExp(src).test((document.getElementById('state')?.innerText || '').replace(/[\u00a0\u202f]/g, ' ')),
    re.source, { timeout });
  return plain(await phone.locator('#state').innerText());
}

describe('silent alert, citizen and dispatcher together', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('held on a phone, seen live on the console, taken, chatted, followed, a unit sent, closed', async () => {
    const audit = new AxeAudit();
    const phoneCtx = await env.context({ ...PHONE, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    const deskCtx = await env.context(contextOptions());
    try {
      await phoneCtx.grantPermissions(['geolocation'], { origin: env.url });
      await phoneCtx.setGeolocation(HERE);

      // The console is open first, live.
      const desk = await deskCtx.newPage();
      await signIn(desk, env.url, 'DSP-L03');
      assert.equal(new URL(desk.url()).pathname, '/agent/dispatch');
      const table = desk.getByRole('table', { name: fr('Alertes ouvertes de votre secteur') });
      await desk.locator('.dispatch-live[data-live="on"]').waitFor({ timeout: 10_000 });
      const before = (await table.getByRole('link').allInnerTexts()).map((r) => r.trim());
      await desk.evaluate(() => { window.__sameDocument = true; });

      // The person holds the button (keyboard: Space), lets the countdown run.
      const phone = await phoneCtx.newPage();
      await phone.goto(`${env.url}/alerte`);
      await phone.locator('#v-idle').getByText('Agression', { exact: true }).click();
      await phone.locator('#hold').focus();
      await phone.keyboard.down(' ');
      await phone.waitForTimeout(2300);
      await phone.keyboard.up(' ');
      await phone.locator('#v-live').waitFor({ state: 'visible', timeout: 15_000 });
      const ref = AL_RE.exec(await phone.locator('#ref-line').innerText())[0];
      const sent = await phoneState(phone, /Envoyée à \d\d:\d\d:\d\d/);
      assert.ok(!/Reçue/.test(sent), `no false confirmation before a dispatcher takes it: ${sent}`);
      assert.ok(!before.includes(ref));

      // The console shows it without a reload.
      const link = table.getByRole('link', { name: ref });
      await link.waitFor({ timeout: 15_000 });
      assert.equal(await desk.evaluate(() => window.__sameDocument), true, 'the console was not reloaded');
      const row = table.locator('tr', { has: desk.getByRole('link', { name: ref }) });
      assert.match(plain(await row.innerText()), /Reçue, pas encore prise/);
      await audit.check(desk, 'console, new alert');

      await go(desk, link);
      await desk.getByRole('img', { name: 'Carte des positions et des équipages' }).waitFor();
      const positions = desk.getByRole('table', { name: fr('Positions reçues, la plus ancienne d’abord') }).locator('tbody tr');
      const fixes = await positions.count();
      assert.ok(fixes >= 1, 'the first position is on the console');

      // Taken: only now does the phone say received.
      await go(desk, desk.getByRole('button', { name: fr('Prendre l’alerte') }));
      await desk.getByText(fr('Vous avez pris l’alerte.')).waitFor();
      assert.match(await phoneState(phone, /Reçue par la police à \d\d:\d\d:\d\d/), /Reçue par la police/);

      // Chat, both ways, silently.
      await desk.getByLabel('Message à la personne').fill('Restez où vous êtes, nous arrivons.');
      await go(desk, desk.getByRole('button', { name: 'Envoyer le message' }));
      await phone.locator('#chat li', { hasText: 'Restez où vous êtes, nous arrivons.' }).waitFor({ timeout: 15_000 });
      await phone.getByRole('button', { name: 'Je suis caché·e' }).click();
      await desk.locator('#dispatch-chat').getByText(/Je suis caché/).first().waitFor({ timeout: 15_000 });

      // The person moves: the console's positions grow, live.
      await desk.evaluate(() => { window.__sameDocument = true; });
      await phoneCtx.setGeolocation({ latitude: HERE.latitude + 0.0012, longitude: HERE.longitude, accuracy: 9 });
      await desk.waitForFunction((n) => document.querySelectorAll('#dispatch-where tbody tr').length > n, fixes, { timeout: 20_000 });
      assert.equal(await desk.evaluate(() => window.__sameDocument), true, 'the alert page was not reloaded');

      // A unit is sent: the phone says so.
      const units = desk.getByRole('table', { name: fr('Équipages disponibles, le plus proche d’abord') });
      const nearest = (await units.locator('tbody th').allInnerTexts())[0];
      await desk.getByLabel('Équipage à envoyer').selectOption(nearest);
      await go(desk, desk.getByRole('button', { name: 'Envoyer cet équipage' }));
      await desk.getByText(fr('L’équipage est envoyé.')).waitFor();
      await phoneState(phone, /Une équipe est en route/);
      await audit.check(desk, 'alert page, unit sent');
      await audit.check(phone, 'phone, unit on its way');

      // Closed by the dispatcher: the phone says who closed it.
      await desk.getByLabel('Traitée par la police').check();
      await go(desk, desk.getByRole('button', { name: fr('Clore l’alerte') }));
      await desk.getByText(fr('L’alerte est close.')).waitFor();
      await phone.locator('#v-closed').waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(plain(await phone.locator('#closed-text').innerText()), /close par l’opérateur/);
      await audit.check(phone, 'phone, closed');
    } finally {
      await phoneCtx.close();
      await deskCtx.close();
    }
    assert.equal(audit.count(), 0, `axe-core violations:\n${audit.report()}`);
  });
});
