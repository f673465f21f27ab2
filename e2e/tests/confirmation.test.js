// Issue 11, items 1 and 2, on a phone (390×844, touch): the confirmation
// survives a reload and a return from another app with the same code; the
// code never breaks inside a group of four; the copy button copies it as
// shown; the code is emailed once at the victim's request; in French and
// English; axe finds nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { CODE_RE, contextOptions, expectHeading, expectPath, fileComplaint, startDraft } from '../lib/journey.js';

const support = await browserSupport();

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** Each group of the code on screen: its text and how many lines it spans. */
async function codeGroups(page) {
  return page.locator('.code-panel .code .code-group').evaluateAll((els) =>
    els.map((el) => ({ text: el.textContent, lines: new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size })));
}

async function checkCode(page, code, label) {
  const shown = (await page.locator('.code-panel .code').textContent()).trim();
  assert.equal(shown, code, `${label}: the same tracking code is shown`);
  const groups = await codeGroups(page);
  assert.deepEqual(groups.map((g) => g.text), code.split('-'), `${label}: the code is shown in its four groups`);
  for (const g of groups) assert.equal(g.lines, 1, `${label}: group ${g.text} is broken across ${g.lines} lines`);
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(width[0] <= width[1], `${label}: the page is ${width[0]} px wide in a ${width[1]} px viewport`);
}

describe('the confirmation on a phone', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('reload, a return from another app, the back button and English keep the code; copy copies it', async () => {
    const ctx = await env.context(contextOptions(PHONE));
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url });
    try {
      const page = await ctx.newPage();
      const { ref, code } = await fileComplaint(page, env.url);
      assert.match(code, CODE_RE);
      expectPath(page, '/preplainte/envoyee');
      await checkCode(page, code, 'after sending');

      // Switching to a notes app and back reloads the page.
      await page.reload();
      await expectHeading(page, 'Votre pré-plainte est envoyée');
      await checkCode(page, code, 'after a reload');

      // Leaving for another site, then coming back in the same tab.
      await page.goto('about:blank');
      await page.goBack();
      await expectHeading(page, 'Votre pré-plainte est envoyée');
      await checkCode(page, code, 'after coming back');

      // The back button towards the review lands on what was sent.
      await page.goto(env.url + '/preplainte/recapitulatif');
      expectPath(page, '/preplainte/envoyee');
      await checkCode(page, code, 'after the back button');

      // The copy button copies the code as shown and says so.
      await page.getByRole('button', { name: 'Copier le code' }).tap();
      await page.getByRole('status').filter({ hasText: 'Code copié' }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);

      const fr = await axeViolations(page);
      assert.equal(fr.length, 0, formatViolations('confirmation fr', fr));

      // The code by email, once, at the victim's request: the outcome is in
      // view after the redirect, and there is no second offer.
      await Promise.all([
        page.waitForEvent('load'),
        page.getByRole('button', { name: 'M’envoyer le code par courriel', exact: true }).tap(),
      ]);
      const sent = page.getByRole('status').filter({ hasText: 'La référence et le code de suivi ont été envoyés' });
      await sent.waitFor();
      const seen = await sent.boundingBox();
      assert.ok(seen.y >= 0 && seen.y + seen.height <= 844, `the outcome is in view (at ${seen.y} px)`);
      assert.equal(await page.getByRole('button', { name: 'M’envoyer le code par courriel' }).count(), 0, 'no second offer');
      await checkCode(page, code, 'after emailing it');
      const mailed = await axeViolations(page);
      assert.equal(mailed.length, 0, formatViolations('confirmation fr, code emailed', mailed));

      // In English, the same confirmation.
      await page.getByRole('link', { name: 'Read this site in English' }).tap();
      await expectHeading(page, 'Your pre-complaint has been sent');
      assert.ok((await page.locator('main').innerText()).includes(ref), 'the English page shows the reference');
      await checkCode(page, code, 'in English');
      // The language link keeps the page's address, outcome included.
      await page.getByText(/The reference and tracking code were sent|The code was sent to you by email, at your request\./).first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Email me the code' }).count(), 0, 'no second offer in English');
      await page.getByRole('button', { name: 'Copy the code' }).tap();
      await page.getByRole('status').filter({ hasText: 'Code copied' }).waitFor();
      const en = await axeViolations(page);
      assert.equal(en.length, 0, formatViolations('confirmation en', en));

      // On a shared phone, the citizen removes it from this device.
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/'),
        page.getByRole('button', { name: 'Remove this page from this device' }).tap(),
      ]);
      await page.goto(env.url + '/preplainte/envoyee');
      expectPath(page, '/preplainte/reprendre');
      assert.ok(!(await page.locator('main').innerText()).includes(ref), 'nothing of the case is left on the device');
    } finally {
      await ctx.close();
    }
  });

  test('the draft code never breaks inside a group either', async () => {
    const ctx = await env.context(contextOptions(PHONE));
    try {
      const page = await ctx.newPage();
      const draft = await startDraft(page, env.url);
      await page.goto(env.url + '/preplainte/code');
      const groups = await codeGroups(page);
      assert.deepEqual(groups.map((g) => g.text), draft.split('-'), 'the draft code is shown in its four groups');
      for (const g of groups) assert.equal(g.lines, 1, `group ${g.text} is broken across lines`);
    } finally {
      await ctx.close();
    }
  });
});
