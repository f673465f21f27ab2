// Evidence uploads: the type is decided from the content, not the name. A
// Windows executable named facture.pdf is refused with a clear message.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { browserSupport, suite } from '../lib/harness.js';
import {
  DISGUISED_EXE,
  SMALL_PDF,
  contextOptions,
  expectHeading,
  expectPath,
  field,
  fillFacts,
  fillIdentity,
  fillItems,
  follow,
  fr,
  group,
  press,
  startDraft,
} from '../lib/journey.js';

const support = await browserSupport();

describe('evidence upload', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  for (const javaScriptEnabled of [false, true]) {
    test(`an executable disguised as facture.pdf is refused, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async () => {
      const ctx = await env.context(contextOptions({ javaScriptEnabled }));
      try {
        const page = await ctx.newPage();
        await startDraft(page, env.url);
        await fillIdentity(page);
        await fillFacts(page);
        await fillItems(page);
        await expectHeading(page, 'Documents');

        await field(page, 'Ajouter un fichier').setInputFiles(DISGUISED_EXE);
        await press(page, 'Envoyer ce fichier');

        expectPath(page, '/preplainte/preuves/ajouter');
        await expectHeading(page, 'Documents');
        const input = field(page, 'Ajouter un fichier');
        assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the file input is marked invalid');
        assert.ok((await input.getAttribute('aria-describedby')).split(' ').includes('f-evidence-error'), 'the message is tied to the input');
        assert.match(
          await page.locator('#f-evidence-error').innerText(),
          fr("Ce type de fichier n'est pas accepté. Envoyez un PDF ou une image JPEG, PNG ou HEIC."),
        );
        assert.match(await page.locator('main').innerText(), fr('Aucun fichier joint.'), 'nothing was attached');
        assert.equal(await page.locator('.file-list .file').count(), 0);

        // A real PDF goes through, and can be removed again.
        await field(page, 'Ajouter un fichier').setInputFiles({ name: 'facture.pdf', mimeType: 'application/pdf', buffer: SMALL_PDF });
        await press(page, 'Envoyer ce fichier');
        expectPath(page, '/preplainte/preuves');
        await page.getByText(fr('Le fichier a été ajouté.')).waitFor();
        assert.deepEqual(await page.locator('.file-list .file-name').allTextContents(), ['facture.pdf']);
        await press(page, 'Retirer facture.pdf');
        await page.getByText(fr('Le fichier a été retiré.')).waitFor();
        assert.match(await page.locator('main').innerText(), fr('Aucun fichier joint.'));
      } finally {
        await ctx.close();
      }
    });
  }
});
