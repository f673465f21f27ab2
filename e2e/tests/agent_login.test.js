// Back-office sign-in in real Chromium on the demo: password + TOTP code,
// a wrong code shown as an accessible error, logout; activation of a new
// account (password, QR code, recovery codes); axe-core (WCAG 2.1 A/AA) on
// the login, code, activation and security pages.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions } from '../lib/journey.js';
import { DEMO_PASSWORD, base32Decode, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

describe('agent sign-in', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('password + TOTP, wrong code, logout, and no axe violation', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page, ctx) => {
      await page.goto(`${env.url}/agent/securite`);
      assert.match(new URL(page.url()).pathname, /^\/agent\/connexion$/);
      await audit.check(page, 'connexion');

      await page.getByLabel('Matricule').fill('SUP-L03');
      await page.getByLabel('Mot de passe', { exact: true }).fill('not the password');
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByRole('alert').waitFor();
      await audit.check(page, 'connexion-erreur');

      await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(/\/agent\/connexion\/code/);
      await audit.check(page, 'code');
      const pre = (await ctx.cookies()).find((c) => c.name === 'agent');
      assert.ok(pre && pre.httpOnly && pre.sameSite === 'Strict', 'session cookie HttpOnly, SameSite=Strict');

      const code = page.getByLabel('Code de vérification');
      await code.fill('000000');
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.getByRole('alert').waitFor();
      assert.equal(await code.getAttribute('aria-invalid'), 'true');
      const described = await code.getAttribute('aria-describedby');
      assert.ok(described && described.includes('f-agent_code-error'));
      assert.match(await page.locator('#f-agent_code-error').innerText(), /pas valide/);
      await audit.check(page, 'code-erreur');

      await code.fill(totp(demoKey('SUP-L03')));
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.waitForURL(/\/agent\/securite$/);
      const full = (await ctx.cookies()).find((c) => c.name === 'agent');
      assert.ok(full && full.value !== pre.value, 'a new session token after the second factor');
      await page.getByText('Nadia Lefèvre').first().waitFor();
      const nav = page.getByRole('navigation', { name: "Navigation de l'espace agent" });
      await nav.getByRole('link', { name: 'Accès' }).waitFor(); // a supervisor's link
      await audit.check(page, 'securite');

      // The queue page: another engineer builds it; when present it answers 200.
      const queue = await page.goto(`${env.url}/agent/`);
      assert.ok([200, 404].includes(queue.status()), `/agent/ answered ${queue.status()}`);
      await page.goto(`${env.url}/agent/securite`);

      await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
      await page.waitForURL(/\/agent\/connexion\?fin=1/);
      await page.getByText('Vous êtes déconnecté.').waitFor();
      await page.goto(`${env.url}/agent/securite`);
      assert.match(new URL(page.url()).pathname, /^\/agent\/connexion$/);
    });
    assert.equal(audit.count(), 0, audit.report());
  });

  test('activation: password, QR code and secret, recovery codes', async () => {
    const m = /agent AGT-NEW awaits activation: (\S+)/.exec(env.server.output());
    assert.ok(m, 'the demo prints an activation link');
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page) => {
      await page.goto(m[1]);
      await audit.check(page, 'activation');
      await page.getByLabel('Nouveau mot de passe').fill('trop court');
      await page.getByLabel('Confirmez le mot de passe').fill('trop court');
      await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
      await page.getByRole('alert').waitFor();
      await audit.check(page, 'activation-erreur');
      await page.getByLabel('Nouveau mot de passe').fill('une phrase de passe assez longue');
      await page.getByLabel('Confirmez le mot de passe').fill('une phrase de passe assez longue');
      await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
      const qr = page.locator('.agent-qr img');
      await qr.waitFor();
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'QR code image loads');
      await audit.check(page, 'activation-qr');
      const key = base32Decode(await page.locator('#totp-secret').innerText());
      await page.getByLabel('Code de vérification').fill(totp(key));
      await page.getByRole('button', { name: 'Activer mon compte' }).click();
      await page.getByRole('heading', { level: 1, name: 'Compte activé' }).waitFor();
      assert.equal(await page.locator('.agent-recovery li').count(), 10);
      await audit.check(page, 'activation-codes');
    });
    assert.equal(audit.count(), 0, audit.report());
  });
});
