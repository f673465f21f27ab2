// Public reports (signalements) on a phone (390×844, touch), as a person
// does them: from the home page, a category, where it was seen, an error
// corrected, the confirmation (reference and tracking code, kept on
// reload), then the status page that says what was read.
//
// Without JavaScript (French): a phishing SMS with a link and a number, a
// second row added by a plain POST, an invalid email refused beside its
// field. With JavaScript (English): a fake bank adviser's number; pow.js
// solves the proof of work silently and the nonce goes with the form; a
// victim who lost money is offered a pre-complaint. Which lane the report
// lands in is not shown to the reporter: the Go tests check it
// (internal/web/signaler_test.go). Child abuse: no file, and why. The
// buttons pressed offer 44×44 px. axe-core finds nothing on any page.
//
// axe and layout measures without JavaScript: the page's own scripts never
// run, but Playwright's page.evaluate runs in the page's world, where
// timers never fire (axe.run never settles). Measures run instead in an
// isolated world opened through the DevTools protocol, where axe's
// zero-delay timers are replaced by microtasks; the DOM measured is the
// one the reporter sees, scripts off.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { WCAG_TAGS, axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { CODE_RE, contextOptions, expectHeading, expectPath, field, fr, group, press } from '../lib/journey.js';

const support = await browserSupport();

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
const MIN_TARGET = 44;

/** A report's reference: SG-YYYY-XXXX-XXXX (Crockford base32). */
const SG_RE = /^SG-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** A phishing SMS as people receive it, pasted whole. */
const SMS =
  'Votre colis est bloqué au centre de tri. Réglez 1,99 € de frais de livraison sur ' +
  'https://colis-suivi-fr.info/paiement/confirmation?id=8F3K2Q9X7B4M&suivi=LP2026118934FR avant 48 h ou appelez le 06 12 34 56 78.';
const SMS_LINK = 'https://colis-suivi-fr.info/paiement/confirmation?id=8F3K2Q9X7B4M&suivi=LP2026118934FR';
const SMS_NUMBER = '+33 6 12 34 56 78';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The DevTools session of a page, one per page. */
const sessions = new WeakMap();

/** The fields of a posted form, urlencoded or multipart (the form takes
 * screenshots, so a browser sends it as multipart/form-data). */
function formFields(req) {
  const type = req.headers()['content-type'] ?? '';
  const body = req.postData() ?? '';
  const boundary = /boundary=(.+)$/.exec(type)?.[1];
  if (!boundary) return new URLSearchParams(body);
  const out = new URLSearchParams();
  for (const part of body.split('--' + boundary)) {
    const m = /name="([^"]+)"(?:; filename="[^"]*")?\r\n(?:[^\r\n]*\r\n)*?\r\n([\s\S]*)\r\n$/.exec(part);
    if (m) out.append(m[1], m[2]);
  }
  return out;
}

/**
 * Runs fn(arg) in a fresh isolated world of the page's main frame and
 * returns its (JSON) result; works with JavaScript on or off.
 */
async function inPage(page, fn, arg) {
  let cdp = sessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    sessions.set(page, cdp);
  }
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const { executionContextId } = await cdp.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: 'e2e-measure' });
  const expression = typeof fn === 'string' ? fn : `(${fn})(${JSON.stringify(arg ?? null)})`;
  const r = await cdp.send('Runtime.evaluate', { expression, contextId: executionContextId, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
  return r.result.value;
}

/** axe's violations on a page whose scripts are off (see the file comment). */
async function axeWithoutScript(page) {
  // Timers of 0 or 1 ms become microtasks; longer ones (iframe and preload
  // time-outs, of no use here) never fire.
  const shim = 'window.setTimeout = (fn, ms, ...a) => { if (!(ms > 1)) queueMicrotask(() => fn(...a)); return 0; }; window.clearTimeout = () => {};';
  const run = `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })) })))`;
  return inPage(page, `${shim}\n${AXE_SOURCE}\n;${run}`);
}

/**
 * Every page visited: axe finds nothing, and the page is no wider than the
 * phone (no horizontal scroll).
 */
async function checkPage(page, label, js) {
  const violations = js ? await axeViolations(page) : await axeWithoutScript(page);
  assert.equal(violations.length, 0, formatViolations(label, violations));
  const [scroll, client] = await inPage(page, () => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `${label}: the page is ${scroll} px wide in a ${client} px viewport`);
}

/** Asserts the control offers at least 44×44 px to a finger. */
async function checkTarget(locator, label) {
  const box = await locator.boundingBox();
  assert.ok(box, `${label} is on screen`);
  assert.ok(box.width >= MIN_TARGET && box.height >= MIN_TARGET, `${label} is ${box.width}×${box.height} px, under ${MIN_TARGET}×${MIN_TARGET}`);
}

/**
 * The confirmation's reference and tracking code: the code in its four
 * groups, none broken across lines. Returns { ref, code }.
 */
async function readSent(page, label) {
  const ref = (await page.locator('.ref').first().textContent()).trim();
  assert.match(ref, SG_RE, `${label}: the reference has the form SG-YYYY-XXXX-XXXX`);
  const code = (await page.locator('.code-panel .code').textContent()).trim();
  assert.match(code, CODE_RE, `${label}: the tracking code is shown, grouped in fours`);
  const groups = await inPage(page, () =>
    [...document.querySelectorAll('.code-panel .code .code-group')].map((el) => ({
      text: el.textContent,
      lines: new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size,
    })));
  assert.deepEqual(groups.map((g) => g.text), code.split('-'), `${label}: the code is shown in its four groups`);
  for (const g of groups) assert.equal(g.lines, 1, `${label}: group ${g.text} is broken across ${g.lines} lines`);
  return { ref, code };
}

/** The items of the status page's "what you reported": kind and value. */
async function seenItems(page) {
  const items = page.locator('.seen-list > li');
  const out = [];
  for (let i = 0; i < (await items.count()); i++) {
    out.push({
      kind: (await items.nth(i).locator('.seen-channel').textContent()).trim(),
      value: (await items.nth(i).locator('.seen-value').textContent()).trim(),
    });
  }
  return out;
}

describe('public reports (signalements) on a phone', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('without JavaScript, in French: a phishing SMS, a second row, an email corrected, the confirmation and the status page', async () => {
    const ctx = await env.context(contextOptions({ ...PHONE, javaScriptEnabled: false }));
    try {
      const page = await ctx.newPage();
      await page.goto(env.url + '/');
      await expectHeading(page, 'Vos démarches de police en ligne');
      await checkPage(page, 'accueil', false);

      const report = page.getByRole('link', { name: fr('Faire un signalement', { exact: true }) });
      await checkTarget(report, 'the home page link to report');
      await Promise.all([page.waitForEvent('load'), report.tap()]);
      expectPath(page, '/signaler');
      await expectHeading(page, 'Signaler un contenu ou une arnaque en ligne');
      await checkPage(page, 'categories', false);
      const cont = page.getByRole('button', { name: fr('Continuer', { exact: true }) });
      await checkTarget(cont, 'the Continue button');
      await group(page, 'De quoi s’agit-il').getByRole('radio', { name: /^Hameçonnage/ }).check();
      await Promise.all([page.waitForEvent('load'), cont.tap()]);

      expectPath(page, '/signaler/signalement');
      assert.equal(new URL(page.url()).searchParams.get('categorie'), 'phishing');
      await expectHeading(page, 'Votre signalement');
      assert.match(await page.locator('main .lead').textContent(), /^Hameçonnage/, 'the page says which category was chosen');
      await checkPage(page, 'formulaire', false);
      const nonce = page.locator('input[name="pow_nonce"]');
      assert.equal(await nonce.inputValue(), '', 'without JavaScript, no proof of work is solved');

      const first = group(page, 'Élément 1');
      const kind1 = field(first, 'Type d’élément');
      assert.equal(await kind1.locator('option:checked').textContent(), 'Texte d’un SMS ou d’un message', 'a phishing report starts with an SMS');
      await field(first, 'Ce que vous avez vu').fill(SMS);

      // Another row, by a plain POST: nothing is sent yet, what was typed stays.
      const add = page.getByRole('button', { name: fr('Ajouter un autre élément', { exact: true }) });
      await checkTarget(add, 'the add-a-row button');
      await Promise.all([page.waitForEvent('load'), add.tap()]);
      expectPath(page, '/signaler/signalement');
      await expectHeading(page, 'Votre signalement');
      assert.equal(await page.getByRole('alert').count(), 0, 'adding a row is not an error');
      const second = group(page, 'Élément 2');
      await second.waitFor();
      assert.equal(new URL(page.url()).hash, '#element-2', 'the page opens on the new row');
      const row = await page.locator('#element-2 > legend').boundingBox();
      assert.ok(row.y >= 0 && row.y + row.height <= 844, `the new row's title is in view (at ${row.y} px)`);
      assert.equal(await field(group(page, 'Élément 1'), 'Ce que vous avez vu').inputValue(), SMS, 'the SMS typed is kept');
      assert.equal(await field(second, 'Ce que vous avez vu').inputValue(), '', 'the new row is empty');
      assert.equal(await field(second, 'Ce que vous avez vu').count(), 1);
      await checkPage(page, 'formulaire-deux-elements', false);

      // An invalid email first.
      const day = new Date(Date.now() - 2 * 86400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
      await field(page, 'Quand l’avez-vous vu').fill(day);
      const account = 'J’ai reçu ce SMS hier soir. Je n’ai pas cliqué sur le lien.';
      await field(page, 'Que s’est-il passé').fill(account);
      await group(page, 'Êtes-vous victime').getByRole('radio', { name: fr('Non, je signale ce que j’ai vu') }).check();
      await field(page, 'Votre adresse électronique').fill('camille.martin.exemple.fr');
      // The département, optional, as a postcode; living abroad is a box.
      await field(page, 'Votre département, ou celui des faits').fill('69003');
      await checkTarget(page.locator('label[for="f-etranger"]'), 'the "I live abroad" box');
      const send = page.getByRole('button', { name: fr('Envoyer le signalement', { exact: true }) });
      await checkTarget(send, 'the send button');
      await Promise.all([page.waitForEvent('load'), send.tap()]);

      expectPath(page, '/signaler/signalement');
      assert.match(await page.title(), /^Erreur/, 'the page title announces the error');
      const summary = page.getByRole('alert');
      await summary.waitFor();
      assert.match(await summary.innerText(), fr('Il y a un problème'));
      const where = await summary.boundingBox();
      assert.ok(where.y >= 0 && where.y + where.height <= 844, `the error summary is in view on arrival (at ${where.y} px)`);
      assert.equal(await summary.getByRole('link').count(), 1, 'one error, one link');
      assert.equal(await summary.getByRole('link').getAttribute('href'), '#f-courriel', 'the summary links to the email field');
      const email = field(page, 'Votre adresse électronique');
      assert.equal(await email.getAttribute('aria-invalid'), 'true');
      assert.ok((await email.getAttribute('aria-describedby')).split(' ').includes('f-courriel-error'), 'the message is tied to the field');
      assert.match(await page.locator('#f-courriel-error').innerText(), fr('Indiquez une adresse électronique complète, par exemple : nom@exemple.fr'));
      // Everything typed is kept.
      assert.equal(await email.inputValue(), 'camille.martin.exemple.fr', 'the email typed is kept to be corrected');
      assert.equal(await field(group(page, 'Élément 1'), 'Ce que vous avez vu').inputValue(), SMS);
      assert.equal(await field(group(page, 'Élément 1'), 'Type d’élément').locator('option:checked').textContent(), 'Texte d’un SMS ou d’un message');
      assert.equal(await group(page, 'Élément 2').count(), 1, 'the second row is still there');
      assert.equal(await field(page, 'Quand l’avez-vous vu').inputValue(), day);
      assert.equal(await field(page, 'Que s’est-il passé').inputValue(), account);
      assert.equal(await field(page, 'Votre département, ou celui des faits').inputValue(), '69003', 'the postcode typed is kept');
      assert.ok(await group(page, 'Êtes-vous victime').getByRole('radio', { name: fr('Non, je signale ce que j’ai vu') }).isChecked());
      await checkPage(page, 'formulaire-erreur', false);

      await email.fill('camille.martin@exemple.fr');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: fr('Envoyer le signalement', { exact: true }) }).tap()]);
      expectPath(page, '/signaler/envoye');
      await expectHeading(page, 'Votre signalement est envoyé');
      const sent = await readSent(page, 'after sending');
      assert.equal(await page.getByRole('button', { name: fr('Déposer une pré-plainte') }).count(), 0, 'no pre-complaint offered to a witness');
      await checkPage(page, 'envoye', false);

      await page.reload();
      await expectHeading(page, 'Votre signalement est envoyé');
      assert.deepEqual(await readSent(page, 'after a reload'), sent, 'a reload keeps the reference and the code');

      const track = page.getByRole('link', { name: fr('Suivre mon signalement', { exact: true }) });
      await checkTarget(track, 'the link to the status page');
      await Promise.all([page.waitForEvent('load'), track.tap()]);
      expectPath(page, `/suivi/${sent.ref}`);
      await expectHeading(page, `Signalement ${sent.ref}`);
      const main = await page.locator('main').innerText();
      // Routed at once by the rules: the page says where and why.
      assert.match(main, fr('Transmis'), 'the status says it was passed on');
      assert.match(main, fr('Office de lutte contre la cybercriminalité'), 'the page says to which service');
      assert.match(main, fr('Pourquoi :'), 'and why');
      assert.match(main, fr('Rhône (69)'), 'the département kept from the postcode, never the postcode');
      assert.ok(!main.includes('69003'), 'the postcode itself is not kept');
      assert.ok(!main.includes(sent.code), 'the tracking code is not shown again');
      assert.deepEqual(await seenItems(page), [
        { kind: 'Lien (dans le message)', value: SMS_LINK },
        { kind: 'Numéro de téléphone (dans le message)', value: SMS_NUMBER },
      ], 'the link and the number of the SMS are listed as read');
      await checkPage(page, 'suivi', false);
    } finally {
      await ctx.close();
    }
  });

  test('with JavaScript, in English: a fake bank adviser, the proof of work solved silently, a pre-complaint offered to a victim who lost money', async () => {
    const ctx = await env.context({ ...PHONE, locale: 'en-GB', timezoneId: 'Europe/Paris' });
    // Once the page is parsed (before any of its deferred scripts runs), any
    // change to it is recorded: pow.js must add nothing, show nothing, move
    // nothing; it fills in the hidden pow_nonce only.
    await ctx.addInitScript(() => {
      window.__changes = [];
      document.addEventListener('readystatechange', () => {
        if (document.readyState !== 'interactive') return;
        new MutationObserver((records) => {
          for (const r of records) {
            // The hidden input's value is the answer (a hidden input's value
            // is its attribute); nothing else may change.
            if (r.attributeName === 'value' && r.target.name === 'pow_nonce' && r.target.type === 'hidden') continue;
            window.__changes.push(`${r.type} on <${r.target.nodeName?.toLowerCase()}>${r.attributeName ? ' ' + r.attributeName : ''}`);
          }
        }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
      });
    });
    try {
      const page = await ctx.newPage();
      const posted = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/signaler/signalement') {
          posted.push(formFields(req));
        }
      });
      await page.goto(env.url + '/');
      await expectHeading(page, 'Dealing with the police, online');
      await checkPage(page, 'home', true);
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Make a report', exact: true }).tap()]);
      expectPath(page, '/signaler');
      await expectHeading(page, 'Report illegal content or a scam online');
      await checkPage(page, 'categories', true);
      await group(page, 'What is it about').getByRole('radio', { name: 'Fake bank adviser', exact: true }).check();
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Continue', exact: true }).tap()]);

      expectPath(page, '/signaler/signalement');
      await expectHeading(page, 'Your report');
      const nonce = page.locator('input[name="pow_nonce"]');
      await page.waitForFunction(() => document.querySelector('input[name="pow_nonce"]').value !== '', null, { timeout: 5_000 })
        .catch(() => assert.fail('pow.js did not solve the challenge within 5 s of loading the form'));
      assert.match(await nonce.inputValue(), /^\d+$/, 'the nonce is a number');
      assert.deepEqual(await page.evaluate(() => window.__changes), [], 'solving the challenge changed nothing on the page');
      assert.equal(await page.getByRole('dialog').count(), 0, 'no dialog');
      assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'the focus was not moved');
      await checkPage(page, 'form', true);

      const first = group(page, 'Item 1');
      assert.equal(await field(first, 'Kind of item').locator('option:checked').textContent(), 'Phone number', 'a fake adviser report starts with a phone number');
      await field(first, 'What you saw').fill('01 86 95 12 34');
      await field(page, 'What happened').fill('A man said he was from my bank’s fraud department and asked me to confirm a transfer.');
      await group(page, 'Are you the victim').getByRole('radio', { name: 'Yes, and I lost money' }).check();
      await field(page, 'Your email address').fill('camille.martin@example');
      const send = page.getByRole('button', { name: 'Send the report', exact: true });
      await checkTarget(send, 'the send button');
      await Promise.all([page.waitForEvent('load'), send.tap()]);

      // The error summary takes the focus, the message says what to do.
      assert.match(await page.title(), /^Error/);
      const summary = page.getByRole('alert');
      await summary.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true, 'the error summary has the focus');
      assert.match(await page.locator('#f-courriel-error').innerText(), /Give a complete email address, for example: name@example\.com/);
      assert.equal(await field(page, 'Your email address').inputValue(), 'camille.martin@example');
      assert.equal(await field(group(page, 'Item 1'), 'What you saw').inputValue(), '01 86 95 12 34');
      assert.ok(await group(page, 'Are you the victim').getByRole('radio', { name: 'Yes, and I lost money' }).isChecked());
      await checkPage(page, 'form-error', true);
      assert.equal(posted.length, 1);
      assert.match(posted[0].get('pow_nonce'), /^\d+$/, 'the first sending carried the solved nonce');

      // A fresh challenge came with the page; solved again before sending.
      await page.waitForFunction(() => document.querySelector('input[name="pow_nonce"]').value !== '', null, { timeout: 5_000 });
      await field(page, 'Your email address').fill('camille.martin@example.com');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Send the report', exact: true }).tap()]);
      expectPath(page, '/signaler/envoye');
      assert.equal(posted.length, 2);
      assert.match(posted[1].get('pow_nonce'), /^\d+$/, 'the report went with a solved nonce');
      assert.notEqual(posted[1].get('pow_challenge'), posted[0].get('pow_challenge'), 'each page has its own challenge');

      await expectHeading(page, 'Your report has been sent');
      const sent = await readSent(page, 'after sending');
      const offer = page.getByRole('region', { name: 'You lost money' });
      assert.match(await offer.innerText(), /A report is not a complaint/);
      assert.ok((await offer.innerText()).includes(sent.ref), 'the offer gives the reference to quote');
      await checkTarget(offer.getByRole('button', { name: 'File a pre-complaint with these details', exact: true }), 'the pre-complaint button');
      const go = offer.getByRole('link', { name: 'start an empty pre-complaint', exact: true });
      assert.equal(await go.getAttribute('href'), '/preplainte');
      await checkTarget(go, 'the empty pre-complaint link');
      await checkPage(page, 'sent', true);
      await page.reload();
      assert.deepEqual(await readSent(page, 'after a reload'), sent, 'a reload keeps the reference and the code');
      assert.equal(await page.getByRole('region', { name: 'You lost money' }).count(), 1, 'the offer is still there after a reload');

      const track = page.getByRole('link', { name: 'Follow my report', exact: true });
      await checkTarget(track, 'the link to the status page');
      await Promise.all([page.waitForEvent('load'), track.tap()]);
      expectPath(page, `/suivi/${sent.ref}`);
      await expectHeading(page, `Report ${sent.ref}`);
      assert.deepEqual(await seenItems(page), [{ kind: 'Phone number', value: '+33 1 86 95 12 34' }], 'the number is listed as read');
      await checkPage(page, 'status', true);

      await page.goBack();
      expectPath(page, '/signaler/envoye');
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'start an empty pre-complaint', exact: true }).tap()]);
      expectPath(page, '/preplainte');
      await expectHeading(page, 'Make an online pre-complaint');
      await checkPage(page, 'pre-complaint', true);
    } finally {
      await ctx.close();
    }
  });

  test('child sexual abuse: no file is asked for nor accepted, and the page says why', async () => {
    const ctx = await env.context(contextOptions({ ...PHONE, javaScriptEnabled: false }));
    try {
      const page = await ctx.newPage();
      await page.goto(env.url + '/signaler');
      const choice = group(page, 'De quoi s’agit-il').getByRole('radio', { name: fr('Images ou vidéos d’abus sexuels sur des enfants') });
      // Said before the category is even chosen.
      assert.match(await page.locator(`#${await choice.getAttribute('id')}-hint`).innerText(), fr('N’enregistrez pas et n’envoyez pas ces images'));
      await choice.check();
      await press(page, 'Continuer');
      expectPath(page, '/signaler/signalement');
      await expectHeading(page, 'Votre signalement');
      const main = await page.locator('main').innerText();
      assert.match(main, fr('n’envoyez aucun fichier, aucune capture'), 'the page says no file is accepted');
      assert.match(main, fr('les détenir ou les transmettre est interdit, même pour les signaler'), 'and why');
      assert.match(main, fr('Indiquez seulement l’adresse où ils se trouvent'), 'and what to give instead');
      assert.match(main, fr('Quelqu’un est en danger maintenant ?'), 'someone in danger is told to call');
      assert.equal(await page.locator('input[type="file"]').count(), 0, 'there is no file input');
      assert.equal(await page.locator('form[enctype="multipart/form-data"]').count(), 0, 'no form sends files');
      await checkPage(page, 'pedocriminalite', false);

      // The notice belongs to this category: a phishing report does not carry it.
      await page.goto(env.url + '/signaler/signalement?categorie=phishing');
      assert.doesNotMatch(await page.locator('main').innerText(), fr('n’envoyez aucun fichier'));
    } finally {
      await ctx.close();
    }
  });
});
