// Passkeys in real Chromium, with a CDP virtual authenticator (CTAP2,
// internal, resident keys, user verified). WebAuthn refuses IP addresses,
// so the demo runs with a localhost public URL. An agent signs in with
// password + TOTP, registers a passkey on the security page, logs out,
// signs in with password + passkey instead of a code and lands in the
// back-office; the security page lists the passkey and the live sessions
// (axe-core: no violation); once removed, the passkey is refused by the
// server even when a tampered page offers it. A browser without WebAuthn
// is offered no dead button.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions } from '../lib/journey.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();
const LOGIN = 'AGT-L03';

/** Signs in with the password; leaves the page on the second-factor page. */
async function password(page, url) {
  await page.goto(`${url}/agent/connexion`);
  await page.getByLabel('Matricule').fill(LOGIN);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
}

async function logout(page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
  await page.waitForURL(/\/agent\/connexion\?fin=1/);
}

describe('agent passkeys', { skip: support.skip }, () => {
  const env = suite({ before, after }, support, { publicHost: 'localhost' });

  test('register a passkey, sign in with it, remove it', async () => {
    assert.match(env.url, /^http:\/\/localhost:\d+$/);
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page, ctx) => {
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2', transport: 'internal',
          hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });

      // Password + TOTP; no passkey yet, so none is offered.
      await password(page, env.url);
      assert.equal(await page.locator('#passkey-login').count(), 0, 'no passkey offered before one is registered');
      const firstCode = Date.now();
      await page.getByLabel('Code de vérification').fill(totp(demoKey(LOGIN), firstCode));
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.waitForURL((u) => u.pathname === '/agent/');

      // Register a passkey on the security page (JavaScript on).
      await page.goto(`${env.url}/agent/securite`);
      await page.getByText('Aucune clé d\'accès enregistrée.').waitFor();
      const name = page.getByLabel('Nom de la clé d\'accès');
      await name.waitFor(); // shown by script: the page works without it
      await name.fill('Poste bureau 12');
      await page.getByRole('button', { name: 'Ajouter une clé d\'accès' }).click();
      await page.waitForURL(/\/agent\/securite\?cle=1$/);
      await page.getByText('Clé d\'accès ajoutée.').waitFor();
      const table = page.getByRole('table', { name: 'Clés d\'accès' });
      await table.getByRole('cell', { name: 'Poste bureau 12', exact: true }).waitFor();
      assert.equal(await table.getByRole('cell', { name: 'jamais', exact: true }).count(), 1, 'not used yet');
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1, 'the authenticator holds one credential');
      assert.equal(credentials[0].rpId, 'localhost');
      assert.ok(credentials[0].isResidentCredential, 'a discoverable credential (passkey)');
      const stolen = credentials[0];

      // Live sessions: this one, marked.
      const sessions = page.getByRole('table', { name: 'Sessions ouvertes' });
      await sessions.getByText('cette session').waitFor();
      await audit.check(page, 'securite-cle');

      // Log out, then password + passkey instead of a code.
      await logout(page);
      await password(page, env.url);
      const use = page.getByRole('button', { name: 'Utiliser ma clé d\'accès' });
      await use.waitFor();
      await audit.check(page, 'code-cle');
      await use.click();
      await page.waitForURL((u) => u.pathname === '/agent/');
      const after1 = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.ok(after1.credentials[0].signCount > stolen.signCount, 'the authenticator signed an assertion');

      // The passkey shows its last use; two sign-ins were made but the
      // first session ended at logout: one live session.
      await page.goto(`${env.url}/agent/securite`);
      assert.equal(await table.getByRole('cell', { name: 'jamais', exact: true }).count(), 0, 'last use recorded');
      assert.equal(await sessions.locator('tbody tr').count(), 1, 'one live session');

      // Remove it; the page says there is none.
      await page.getByRole('button', { name: 'Supprimer Poste bureau 12' }).click();
      await page.getByText('Aucune clé d\'accès enregistrée.').waitFor();
      await logout(page);

      // Signing in again: no passkey offered, and the options are refused.
      await password(page, env.url);
      assert.equal(await page.locator('#passkey-login').count(), 0, 'a removed passkey is not offered');
      const refused = await page.evaluate(async () => {
        const r = await fetch('/agent/connexion/passkey/options', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
        return r.status;
      });
      assert.equal(refused, 404, 'no passkey ceremony for an agent without passkeys');
      // Each code works once: the next step's code (a one-step skew is allowed).
      await page.getByLabel('Code de vérification').fill(totp(demoKey(LOGIN), Math.max(Date.now(), firstCode + 30_000)));
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.waitForURL((u) => u.pathname === '/agent/');

      // A second passkey is registered (it replaces the first on the
      // authenticator: same site, same user) so that the server offers a
      // ceremony; the removed credential is put back on the authenticator
      // and a tampered page asks for any passkey: the server refuses it.
      await page.goto(`${env.url}/agent/securite`);
      await page.getByLabel('Nom de la clé d\'accès').fill('Clé USB');
      await page.getByRole('button', { name: 'Ajouter une clé d\'accès' }).click();
      await page.waitForURL(/\/agent\/securite\?cle=1$/);
      await table.getByRole('cell', { name: 'Clé USB', exact: true }).waitFor();
      await logout(page);
      const now = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      for (const c of now.credentials) {
        await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: c.credentialId });
      }
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: after1.credentials[0] });

      await password(page, env.url);
      await page.route('**/agent/connexion/passkey/options', async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        delete body.publicKey.allowCredentials; // any passkey of this site
        await route.fulfill({ response: res, json: body });
      });
      await page.getByRole('button', { name: 'Utiliser ma clé d\'accès' }).click();
      const alert = page.locator('#passkey-error');
      await alert.waitFor();
      assert.match(await alert.innerText(), /n'a pas pu être vérifiée/);
      const signed = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.ok(signed.credentials[0].signCount > after1.credentials[0].signCount,
        'the authenticator did sign: the server refused the removed credential');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'passkey-login', 'focus back on the button');
      assert.match(new URL(page.url()).pathname, /^\/agent\/connexion\/code$/);
      await page.unroute('**/agent/connexion/passkey/options');
      // The back-office stays closed.
      const res = await page.goto(`${env.url}/agent/securite`);
      assert.equal(res.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/agent\/connexion/);
    });
    assert.equal(audit.count(), 0, audit.report());
  });

  test('without WebAuthn, no passkey button: the code is the way', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page) => {
      await page.addInitScript(() => { delete window.PublicKeyCredential; });
      // site.js reveals the passkey blocks; agent-passkey.js must hide them
      // again and say passkeys cannot be added from this browser.
      await page.goto(`${env.url}/agent/connexion`);
      await page.getByLabel('Matricule').fill('SUP-L03');
      await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(/\/agent\/connexion\/code/);
      await page.getByLabel('Code de vérification').fill(totp(demoKey('SUP-L03')));
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.waitForURL((u) => u.pathname.startsWith('/agent/'));
      await page.goto(`${env.url}/agent/securite`);
      await page.getByText('Votre navigateur ne prend pas en charge les clés d\'accès.').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Ajouter une clé d\'accès' }).count(), 0, 'no dead button');
      await audit.check(page, 'securite-sans-webauthn');
    });
    assert.equal(audit.count(), 0, audit.report());
  });
});
