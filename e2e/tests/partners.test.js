// The partner API and its administration on the demo. The demo's partner
// ("Signal Spam (démo)") posts a report with the token the demo printed
// and reads back where it went; the same message again is counted, not
// filed twice. An administrator signs in, reads the partners page, is
// refused a partner without a kind (the error summary links the field and
// what was typed is kept), creates one and a token shown once, revokes
// it: the API refuses it at the next request. axe-core (WCAG 2.1 A/AA)
// finds nothing; on a phone the page does not scroll sideways and every
// control of its content offers 44×44 px.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading } from '../lib/journey.js';
import { PHONE, sidewaysScroll, smallTargets } from '../lib/phone.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

// The 30-second TOTP step last used per login: the server refuses a code
// used twice, so a second sign-in in the same step waits for the next.
const lastStep = new Map();

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

async function api(base, token, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, type: r.headers.get('content-type'), json: await r.json() };
}

describe('partner API and its administration', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  let token;
  before(() => {
    if (support.skip) return;
    const m = /partner "Signal Spam \(démo\)", token:\s*\n\s*(gch_[A-Za-z0-9_-]{43})/.exec(env.server.output());
    assert.ok(m, `the demo printed its partner's token:\n${env.server.output()}`);
    token = m[1];
  });

  test("the demo's partner sends a report and reads where it went", async () => {
    const report = { category: 'phishing', seen: [{ value: 'Votre colis est bloqué : https://colis-e2e.example/pay' }], external_id: 'e2e-1' };
    const a = await api(env.url, token, 'POST', '/api/v1/reports', report);
    assert.equal(a.status, 201, JSON.stringify(a.json));
    const b = await api(env.url, token, 'POST', '/api/v1/reports', report);
    assert.equal(b.status, 200);
    assert.deepEqual([b.json.ref, b.json.duplicate, b.json.count], [a.json.ref, true, 2]);
    const v = await api(env.url, token, 'GET', a.json.status_url);
    assert.equal(v.status, 200);
    assert.ok(v.json.routes.some((r) => r.service === 'cyber' && r.reason_fr), `routed with a reason: ${JSON.stringify(v.json.routes)}`);
    const doc = await fetch(env.url + '/api/openapi.json').then((r) => r.json());
    assert.equal(doc.openapi, '3.1.0');
    const none = await api(env.url, 'gch_nope', 'GET', '/api/v1/reports');
    assert.equal(none.status, 401);
    assert.equal(none.type, 'application/problem+json');
  });

  test('an administrator manages partners and tokens', async () => {
    const audit = new AxeAudit();
    let secret;
    await env.withPage(contextOptions({ viewport: { width: 1280, height: 800 } }), async (page) => {
      await signIn(page, env.url, 'ADM-01');
      await page.goto(`${env.url}/agent/partenaires`);
      await expectHeading(page, 'Partenaires de l’API');
      await page.getByRole('heading', { name: /Signal Spam \(démo\)/ }).waitFor();
      await audit.check(page, 'partenaires');

      await page.getByLabel('Nom', { exact: true }).fill('Opérateur E2E');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Créer le partenaire' }).click()]);
      const summary = page.getByRole('alert');
      await summary.getByRole('link').first().waitFor();
      assert.equal(await page.getByLabel('Nom', { exact: true }).inputValue(), 'Opérateur E2E', 'what was typed is kept');
      await audit.check(page, 'partenaire refusé');

      await page.getByLabel('Type').selectOption('operator');
      await page.getByLabel('Envoyer des signalements').check();
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Créer le partenaire' }).click()]);
      await page.getByRole('heading', { name: /Opérateur E2E/ }).waitFor();
      const section = page.locator('section.partner').filter({ has: page.getByRole('heading', { name: /Opérateur E2E/ }) });
      await Promise.all([page.waitForEvent('load'), section.getByRole('button', { name: 'Créer un jeton' }).click()]);
      secret = (await page.locator('#token-secret').innerText()).trim();
      assert.match(secret, /^gch_[A-Za-z0-9_-]{43}$/);
      await audit.check(page, 'jeton créé');
      const ok = await api(env.url, secret, 'POST', '/api/v1/reports', { category: 'spam', seen: [{ value: 'https://spam-e2e.example/' }] });
      assert.equal(ok.status, 201);

      const s2 = page.locator('section.partner').filter({ has: page.getByRole('heading', { name: /Opérateur E2E/ }) });
      await Promise.all([page.waitForEvent('load'), s2.getByRole('button', { name: /^Révoquer le jeton/ }).click()]);
      await page.getByRole('status').filter({ hasText: 'Le jeton a été révoqué' }).waitFor();
      const refused = await api(env.url, secret, 'POST', '/api/v1/reports', { category: 'spam', seen: [{ value: 'https://spam-e2e.example/2' }] });
      assert.equal(refused.status, 401, 'a revoked token is refused at once');
    });
    await env.withPage(contextOptions(PHONE), async (page) => {
      await signIn(page, env.url, 'ADM-01');
      await page.goto(`${env.url}/agent/partenaires`);
      const side = await sidewaysScroll(page);
      assert.ok(side.scroll <= side.view && side.wide.length === 0, `no sideways scroll on a phone (${side.scroll} px in ${side.view}): ${side.wide.join(", ")}`);
      // The back office's shared navigation is left out, as in analyst.test.js.
      const { small } = await smallTargets(page);
      const inMain = [];
      for (const s of small) {
        if (await page.locator(`main ${s.what.replace(/^a\[/, 'a[')}`).count()) inMain.push(`${s.what} "${s.text}" ${s.width}×${s.height}`);
      }
      assert.deepEqual(inMain, [], 'every control of the page\'s content offers 44×44 px');
      await audit.check(page, 'partenaires, téléphone');
    });
    assert.equal(audit.count(), 0, audit.report());
  });
});
