// The silent alert PWA (/alerte, issue 13, citizen side) in real Chromium
// on a phone. Geolocation is granted and set by the test. A person holds
// the button 2 s (too short first: nothing sent; then cancelled within the
// countdown: nothing sent), holds it again with the keyboard, and the
// alert leaves: the page says honestly "sent, not taken yet" (no console
// acknowledges here), chats silently with a quick reply, a pictogram and a
// typed message, moves (a position update goes), and says "I am safe now".
// With the network cut while sending, the alert waits in the outbox (the
// page, reloaded offline, still opens from the service worker's cache),
// and leaves when the network is back — exactly once, even when the
// server's first answer is lost. Without JavaScript the same page is a
// form, and the status page a refreshing page with a plain chat form. The
// manifest and the service worker are fetched and checked; axe-core finds
// nothing on each state.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { PHONE, frenchTypography, openDetails, sidewaysScroll, smallTargets } from '../lib/phone.js';

const support = await browserSupport();

const LYON = { latitude: 45.7578, longitude: 4.832, accuracy: 15 };
const AL_RE = /AL-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/;

/** Text as read, spaces of any kind made plain. */
const plainText = (s) => s.replace(/[\u00a0\u202f\u2060]/g, ' ');

async function phoneContext(env, extra = {}) {
  const ctx = await env.context({ ...PHONE, locale: 'fr-FR', timezoneId: 'Europe/Paris', ...extra });
  if (extra.javaScriptEnabled !== false) {
    await ctx.grantPermissions(['geolocation'], { origin: env.url });
    await ctx.setGeolocation(LYON);
  }
  return ctx;
}

/** Records the answers to the app's raise requests: [{ status, ref, created }]. */
function watchRaises(page) {
  const seen = [];
  page.on('response', async (res) => {
    const req = res.request();
    if (req.method() !== 'POST' || new URL(res.url()).pathname !== '/alerte/api/alertes') return;
    try {
      const body = await res.json();
      seen.push({ status: res.status(), ref: body.ref, created: body.created });
    } catch {
      seen.push({ status: res.status() });
    }
  });
  return seen;
}

/** Holds the button with a pointer for ms. */
async function holdFor(page, ms) {
  await page.locator('#hold').scrollIntoViewIfNeeded();
  const box = await page.locator('#hold').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
}

async function stateText(page) {
  return plainText(await page.locator('#state').innerText());
}

async function waitState(page, re, timeout = 15_000) {
  await page.waitForFunction((src) => new RegExp(src).test((document.getElementById('state')?.innerText || '').replace(/[\u00a0\u202f]/g, ' ')),
    re.source, { timeout });
}

async function outboxSize(page) {
  return page.evaluate(() => window.AlertQueue.pending().then((r) => r.length));
}

describe('silent alert PWA on a phone', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  const audit = new AxeAudit();

  test('manifest and service worker', async () => {
    const ctx = await phoneContext(env);
    try {
      const page = await ctx.newPage();
      await page.goto(`${env.url}/alerte`);
      const href = await page.locator('link[rel=manifest]').getAttribute('href');
      const res = await page.request.get(new URL(href, env.url).href);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'], /application\/manifest\+json/);
      const m = await res.json();
      assert.equal(m.start_url, '/alerte');
      assert.equal(m.display, 'standalone');
      assert.ok(m.name && m.short_name && m.theme_color && m.background_color, JSON.stringify(m));
      assert.ok(!/police/i.test(m.short_name), 'the home-screen name is discreet');
      for (const icon of m.icons) {
        const r = await page.request.get(new URL(icon.src, env.url).href);
        assert.equal(r.status(), 200, icon.src);
        assert.equal(r.headers()['content-type'].split(';')[0], icon.type, icon.src);
      }
      const reg = await page.evaluate(async () => {
        const r = await navigator.serviceWorker.ready;
        return { scope: r.scope, script: r.active && r.active.scriptURL };
      });
      assert.equal(new URL(reg.scope).pathname, '/alerte');
      assert.equal(new URL(reg.script).pathname, '/alerte/sw.js');
      // The shell is cached: the worker's cache holds the page and its assets.
      const cached = await page.evaluate(async () => {
        const names = await caches.keys();
        const c = await caches.open(names.find((n) => n.startsWith('alerte-')));
        return (await c.keys()).map((r) => new URL(r.url).pathname);
      });
      for (const p of ['/alerte', '/static/js/alert.js', '/static/css/alert.css', '/static/js/alert-queue.js']) {
        assert.ok(cached.includes(p), `${p} cached: ${cached}`);
      }
    } finally {
      await ctx.close();
    }
  });

  test('hold to send, honest state, silent chat, position, I am safe now', async () => {
    const ctx = await phoneContext(env);
    try {
      const page = await ctx.newPage();
      const raises = watchRaises(page);
      const sentBodies = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/alerte/api/alertes') sentBodies.push(JSON.parse(req.postData()));
      });
      await page.goto(`${env.url}/alerte`);
      await page.locator('#hold').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#plain').isVisible(), false, 'the plain form is hidden with JavaScript');
      assert.equal((await audit.check(page, 'idle')).length, 0, audit.report());
      await openDetails(page); // the profile form too
      assert.deepEqual((await smallTargets(page)).small, [], 'tap targets of 44 px');
      assert.deepEqual((await sidewaysScroll(page)).wide, [], 'no sideways scrolling');
      assert.deepEqual(await frenchTypography(page), []);
      assert.equal((await audit.check(page, 'idle, profile open')).length, 0, audit.report());
      // The profile is kept on this phone only.
      await page.getByLabel('Nom', { exact: true }).fill('Léa Martin');
      await page.getByLabel('Je suis sourd·e ou malentendant·e').check();
      await page.getByRole('button', { name: 'Enregistrer sur ce téléphone' }).click();
      const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('guichet.alerte.profil')));
      assert.equal(kept.name, 'Léa Martin');
      assert.equal(kept.deaf, true);

      // Too short: nothing is sent.
      await holdFor(page, 600);
      assert.match(plainText(await page.locator('#hold-status').innerText()), /Relâché trop tôt/);
      assert.equal(await page.locator('#v-cancel').isVisible(), false);

      // Held long enough, then cancelled within the countdown.
      await page.locator('#v-idle').getByText('Violences conjugales ou familiales').click();
      await holdFor(page, 2300);
      await page.locator('#v-cancel').waitFor({ state: 'visible' });
      assert.match(plainText(await page.locator('#count-text').innerText()), /Envoi dans \d s/);
      assert.equal((await audit.check(page, 'countdown')).length, 0, audit.report());
      await page.getByRole('button', { name: 'Annuler, ne rien envoyer' }).click();
      assert.match(plainText(await page.locator('#hold-status').innerText()), /Annulé/);
      await page.waitForTimeout(300);
      assert.equal(raises.length, 0, 'nothing sent after cancelling');

      // Held with the keyboard (Space), left to count down: sent.
      await page.locator('#hold').focus();
      await page.keyboard.down(' ');
      await page.waitForTimeout(2300);
      await page.keyboard.up(' ');
      await page.locator('#v-cancel').waitFor({ state: 'visible' });
      await page.locator('#v-live').waitFor({ state: 'visible', timeout: 10_000 });
      await waitState(page, /Envoyée à \d\d:\d\d:\d\d/);
      const st = await stateText(page);
      assert.ok(!/Reçue/.test(st), `no false confirmation: ${st}`);
      const ref = AL_RE.exec(await page.locator('#ref-line').innerText())[0];
      assert.deepEqual(raises, [{ status: 201, ref, created: true }]);
      const [sent] = sentBodies;
      assert.equal(sent.type, 'domestic_violence');
      assert.match(sent.key, /^[A-Za-z0-9_-]{22,}$/);
      assert.equal(sent.position.lat, LYON.latitude);
      assert.equal(sent.position.accuracy, LYON.accuracy);
      assert.equal(sent.profile.name, 'Léa Martin');
      assert.equal(sent.profile.deaf, true);
      // The discreet view: no site name, no emergency footer.
      assert.equal(await page.locator('.a-brand').isVisible(), false);
      assert.equal(await page.locator('.a-footer').isVisible(), false);
      assert.equal((await audit.check(page, 'sent')).length, 0, audit.report());
      assert.deepEqual((await smallTargets(page)).small, [], 'tap targets of 44 px, alert open');
      assert.deepEqual(await frenchTypography(page), []);

      // Silent chat: a quick reply, a pictogram, a typed message.
      await page.getByRole('button', { name: 'Je ne peux pas parler' }).click();
      await page.locator('#chat li', { hasText: 'Je ne peux pas parler' }).waitFor();
      await page.getByRole('button', { name: /arme/ }).click();
      await page.locator('#chat li', { hasText: '🔪 arme' }).waitFor();
      await page.getByLabel('Écrire un message').fill('Il est dans le salon');
      await page.getByRole('button', { name: 'Envoyer le message' }).click();
      await page.locator('#chat li', { hasText: 'Il est dans le salon' }).waitFor();
      assert.equal(await page.locator('#chat li.chat-line--citizen').count(), 3);

      // Reopened (the app closed, the phone locked), it finds its open alert again.
      await page.reload();
      await page.locator('#v-live').waitFor({ state: 'visible' });
      await page.locator('#ref-line', { hasText: ref }).waitFor();
      await page.locator('#chat li', { hasText: 'Il est dans le salon' }).waitFor();
      assert.equal(await page.locator('#chat li.chat-line--citizen').count(), 3);
      await waitState(page, /Envoyée à \d\d:\d\d:\d\d/);

      // Moving 100 m sends a position update.
      const moved = page.waitForResponse((r) => r.url().endsWith(`/alerte/api/alertes/${ref}/positions`) && r.request().method() === 'POST', { timeout: 15_000 });
      await ctx.setGeolocation({ latitude: LYON.latitude + 0.0009, longitude: LYON.longitude, accuracy: 10 });
      assert.equal((await moved).status(), 204);
      // The key never travels in a URL.
      const key = await page.evaluate(() => window.AlertQueue.current().then((c) => c.key));
      assert.ok(key.length >= 22, key);

      // "I am safe now", confirmed.
      await page.getByRole('button', { name: 'Je suis en sécurité maintenant' }).click();
      await page.getByRole('button', { name: 'Oui, terminer l’alerte' }).click();
      await page.locator('#v-closed').waitFor({ state: 'visible' });
      assert.match(plainText(await page.locator('#closed-text').innerText()), /vous avez indiqué être en sécurité/);
      assert.equal((await audit.check(page, 'closed')).length, 0, audit.report());
      assert.equal(raises.length, 1);
    } finally {
      await ctx.close();
    }
  });

  test('network cut while sending: the alert arrives once reconnected, exactly once', async () => {
    const ctx = await phoneContext(env);
    try {
      const page = await ctx.newPage();
      const raises = watchRaises(page);
      await page.goto(`${env.url}/alerte`);
      await page.evaluate(() => navigator.serviceWorker.ready);
      // Reload so that the worker controls the page.
      await page.reload();
      await page.locator('#hold').waitFor({ state: 'visible' });

      await ctx.setOffline(true);
      await holdFor(page, 2300);
      await page.locator('#v-live').waitFor({ state: 'visible', timeout: 10_000 });
      await waitState(page, /Pas de réseau/);
      assert.ok(!/Envoyée|Reçue/.test(await stateText(page)));
      assert.equal(await outboxSize(page), 1, 'the alert waits in the outbox');

      // Offline, the page still opens (from the worker's cache) and
      // picks the queued alert up again.
      await page.reload();
      await page.locator('#v-live').waitFor({ state: 'visible', timeout: 10_000 });
      await waitState(page, /Pas de réseau|Envoi en cours/);
      assert.equal(await outboxSize(page), 1);

      // Back online, the server's first answer is lost on the way back:
      // the app retries with the same key and the server answers with
      // the same alert, not a new one.
      let lost = 0;
      const created = [];
      await page.route('**/alerte/api/alertes', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        if (lost === 0) {
          lost++;
          const res = await route.fetch();
          created.push(await res.json());
          return route.abort('connectionreset');
        }
        return route.continue();
      });
      await ctx.setOffline(false);
      await waitState(page, /Envoyée à \d\d:\d\d:\d\d/, 45_000);
      const ref = AL_RE.exec(await page.locator('#ref-line').innerText())[0];
      // The service worker may have sent it too (Background Sync): every
      // answer names the same alert, and at most one says it was new.
      assert.equal(created.length, 1, 'the first send reached the server');
      const answers = [...created, ...raises];
      for (const r of answers) assert.equal(r.ref, ref, JSON.stringify(answers));
      assert.ok(raises.length >= 1 && raises.every((r) => r.status === 200 && r.created === false), JSON.stringify(raises));
      assert.ok(answers.filter((r) => r.created).length <= 1, JSON.stringify(answers));
      assert.equal(await outboxSize(page), 0, 'the outbox is empty');
      assert.equal((await audit.check(page, 'sent after reconnecting')).length, 0, audit.report());
      await page.unroute('**/alerte/api/alertes');
      await page.getByRole('button', { name: 'Je suis en sécurité maintenant' }).click();
      await page.getByRole('button', { name: 'Oui, terminer l’alerte' }).click();
      await page.locator('#v-closed').waitFor({ state: 'visible' });
    } finally {
      await ctx.close();
    }
  });

  test('without JavaScript: the form, a refreshing status page, a plain chat', async () => {
    const ctx = await phoneContext(env, { javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      await page.goto(`${env.url}/alerte`);
      assert.equal(await page.locator('#app').isVisible(), false);
      await page.getByRole('heading', { level: 1, name: 'Alerte silencieuse' }).waitFor();
      await page.getByLabel('Votre téléphone').fill('06 12 34 56 78');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Envoyer l’alerte' }).click()]);
      // Nothing said where: refused beside the field, the phone kept.
      await page.locator('.error-summary').waitFor();
      assert.match(plainText(await page.locator('.error-summary').innerText()), /Indiquez où vous êtes/);
      assert.equal(await page.getByLabel('Votre téléphone').inputValue(), '06 12 34 56 78');
      await page.getByLabel('Où êtes-vous').fill('Gare Part-Dieu, quai B, près des escaliers');
      await page.locator('#plain').getByText('Harcèlement').click();
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Envoyer l’alerte' }).click()]);
      assert.equal(new URL(page.url()).pathname, '/alerte/suivi');
      assert.match(plainText(await page.locator('#state').innerText()), /Envoyée à \d\d:\d\d:\d\d/);
      assert.equal(await page.locator('meta[http-equiv=refresh]').getAttribute('content'), '10');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Je suis caché·e' }).click()]);
      await page.locator('#chat-plain li', { hasText: 'Je suis caché·e' }).waitFor();
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Écrire un message' }).click()]);
      assert.equal(await page.locator('meta[http-equiv=refresh]').count(), 0, 'no refresh while typing');
      await page.getByLabel('Écrire un message').fill('Un homme me suit depuis le métro');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Envoyer le message' }).click()]);
      await page.locator('#chat-plain li', { hasText: 'Un homme me suit' }).waitFor();

      // axe needs JavaScript: the same pages, with this browser's cookie, in a context that has it.
      const cookies = await ctx.cookies();
      const jsCtx = await env.context({ ...PHONE, locale: 'fr-FR' });
      try {
        await jsCtx.addCookies(cookies);
        const p2 = await jsCtx.newPage();
        await p2.goto(`${env.url}/alerte/suivi?auto=0`);
        assert.equal((await audit.check(p2, 'status without JavaScript')).length, 0, audit.report());
        assert.deepEqual((await smallTargets(p2)).small, []);
        await p2.goto(`${env.url}/alerte/suivi/ecrire`);
        assert.equal((await audit.check(p2, 'write without JavaScript')).length, 0, audit.report());
      } finally {
        await jsCtx.close();
      }

      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Je suis en sécurité maintenant' }).click()]);
      assert.match(plainText(await page.locator('#state').innerText()), /vous avez indiqué être en sécurité/);
      assert.equal(await page.locator('meta[http-equiv=refresh]').count(), 0);
    } finally {
      await ctx.close();
    }
  });

  test('the form with errors passes axe', async () => {
    const ctx = await phoneContext(env);
    try {
      const page = await ctx.newPage();
      await page.goto(`${env.url}/alerte`);
      await page.getByRole('button', { name: 'Envoyer plutôt avec un formulaire' }).click();
      await page.locator('#plain').waitFor({ state: 'visible' });
      assert.equal((await audit.check(page, 'plain form')).length, 0, audit.report());
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Envoyer l’alerte' }).click()]);
      await page.locator('.error-summary').waitFor();
      assert.equal(await page.locator('#plain').isVisible(), true, 'the form with its errors stays in view');
      assert.equal((await audit.check(page, 'plain form with errors')).length, 0, audit.report());
    } finally {
      await ctx.close();
    }
  });

  after(() => {
    assert.equal(audit.count(), 0, audit.report());
  });
});
