// The whole pre-complaint journey in French, without and with JavaScript,
// then the status page opened with the reference and tracking code, and a
// wrong code refused.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { browserSupport, suite } from '../lib/harness.js';
import {
  CITIZEN,
  contextOptions,
  expectHeading,
  expectPath,
  field,
  fileComplaint,
  follow,
  fr,
  group,
  press,
  track,
  wrongCode,
} from '../lib/journey.js';

const support = await browserSupport();

describe('pre-complaint journey (French)', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  for (const javaScriptEnabled of [false, true]) {
    test(`a citizen files a pre-complaint from start to finish, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const ctx = await env.context(contextOptions({ javaScriptEnabled }));
      try {
        const page = await ctx.newPage();
        const { draftCode, ref, code } = await fileComplaint(page, env.url, { upload: true });
        assert.notEqual(code, draftCode, 'the tracking code is not the draft code');

        // The confirmation leads to the status page, opened by this browser.
        await follow(page, 'Voir la page de suivi de votre dossier');
        expectPath(page, `/suivi/${ref}`);
        await expectHeading(page, `Dossier ${ref}`);
        const status = await page.locator('main').innerText();
        assert.match(status, fr('Envoyée, en attente du rendez-vous'), 'the status says it awaits the appointment');
        assert.match(status, fr('Pré-plainte envoyée'), 'the timeline lists the submission');
        assert.match(status, CITIZEN.unit, 'the appointment place is shown');
        assert.match(status, fr('Effacement des données prévu le'), 'the erasure date is shown');
        assert.ok(!status.includes(code), 'the tracking code is never shown again');

        // The PDF receipt downloads with this browser's access.
        const pdf = await ctx.request.get(`${env.url}/suivi/${ref}/recu.pdf`);
        assert.equal(pdf.status(), 200, 'the PDF receipt is served');
        assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-', 'the receipt is a PDF');

        // The draft is gone once sent: its code no longer resumes anything.
        await page.goto(env.url + '/preplainte/reprendre');
        await field(page, 'Code de reprise').fill(draftCode);
        await press(page, 'Reprendre');
        assert.match(await page.locator('#f-draft_code-error').innerText(), fr('ne correspond à aucune pré-plainte en cours'));
      } finally {
        await ctx.close();
      }
    });
  }

  test('the status page opens in a fresh browser with the reference and tracking code', async () => {
    const filed = await env.withPage(contextOptions(), (page) => fileComplaint(page, env.url));
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      // Without the code, the case stays closed.
      const closed = await page.goto(`${env.url}/suivi/${filed.ref}`);
      assert.ok(closed.status() === 401 || new URL(page.url()).pathname === '/suivi', `without the code the case is not shown (status ${closed.status()}, ${page.url()})`);
      assert.ok(!(await page.locator('main').innerText()).includes(CITIZEN.lastName));

      // Typed in lower case with spaces, as people do.
      await track(page, env.url, filed.ref.toLowerCase(), filed.code.replaceAll('-', ' ').toLowerCase());
      expectPath(page, `/suivi/${filed.ref}`);
      await expectHeading(page, `Dossier ${filed.ref}`);
      const text = await page.locator('main').innerText();
      assert.match(text, fr('Envoyée, en attente du rendez-vous'));
      assert.match(text, fr('Votre rendez-vous'));
      assert.match(text, fr('À apporter au rendez-vous'));
      assert.match(text, fr("pièce d'identité"));
    } finally {
      await ctx.close();
    }
  });

  test('a wrong tracking code is refused with a message next to the field', async () => {
    const filed = await env.withPage(contextOptions(), (page) => fileComplaint(page, env.url));
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      await track(page, env.url, filed.ref, wrongCode(filed.code));
      expectPath(page, '/suivi');
      await expectHeading(page, 'Suivre votre dossier');
      assert.match(await page.title(), /^Erreur/, 'the page title announces the error');
      const input = field(page, 'Code de suivi');
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      assert.equal(await input.inputValue(), '', 'the wrong code is not echoed back');
      assert.equal(await field(page, 'Référence du dossier').inputValue(), filed.ref, 'the reference typed is kept');
      const message = page.locator('#f-code-error');
      assert.match(await message.innerText(), fr('La référence ou le code de suivi est incorrect.'));
      assert.ok((await input.getAttribute('aria-describedby')).split(' ').includes('f-code-error'), 'the message is tied to the field');
      // The summary at the top links to the field.
      const summary = page.getByRole('alert');
      assert.match(await summary.innerText(), fr('Il y a un problème'));
      assert.equal(await summary.getByRole('link').first().getAttribute('href'), '#f-code');
      assert.ok(!(await page.locator('main').innerText()).includes(CITIZEN.lastName), 'nothing of the case leaks');

      // A typing mistake in the reference is caught by its check symbol.
      const typo = filed.ref.slice(0, -1) + (filed.ref.at(-1) === '0' ? '1' : '0');
      await track(page, env.url, typo, filed.code);
      expectPath(page, '/suivi');
      assert.match(await page.locator('#f-ref-error').innerText(), fr('faute de frappe'));
    } finally {
      await ctx.close();
    }
  });
});
