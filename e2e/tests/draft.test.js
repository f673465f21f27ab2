// Drafts never get lost: saved at every step, resumed with the draft code
// from another browser, and going back keeps everything typed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { browserSupport, suite } from '../lib/harness.js';
import {
  CITIZEN,
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

describe('drafts', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('a draft is resumed in a fresh browser with its code, with everything typed', async () => {
    const first = await env.context(contextOptions({ javaScriptEnabled: false }));
    let draftCode;
    try {
      const page = await first.newPage();
      draftCode = await startDraft(page, env.url);
      await fillIdentity(page);
      // Half-way through the facts, the citizen saves for later.
      await expectHeading(page, 'Les faits');
      await field(page, 'Description des faits').fill(CITIZEN.description);
      await press(page, 'Enregistrer et reprendre plus tard');
      expectPath(page, '/preplainte/code');
      await expectHeading(page, 'Vos réponses sont enregistrées');
      assert.equal((await page.locator('.code-panel .code').textContent()).trim(), draftCode, 'the same draft code is shown again');
    } finally {
      await first.close();
    }

    // Another device: nothing in this browser.
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      await page.goto(env.url + '/preplainte/identite');
      expectPath(page, '/preplainte/reprendre');
      await page.getByText(fr("Aucune pré-plainte en cours n'a été trouvée sur cet appareil")).waitFor();

      // A code of the wrong shape, then an unknown one.
      await field(page, 'Code de reprise').fill('1234');
      await press(page, 'Reprendre');
      expectPath(page, '/preplainte/reprendre');
      assert.match(await page.locator('#f-draft_code-error').innerText(), fr("n'a pas le bon format"));
      assert.equal(await field(page, 'Code de reprise').inputValue(), '1234', 'what was typed is kept');
      await field(page, 'Code de reprise').fill('ABCD-EFGH-JKMN-PQRS');
      await press(page, 'Reprendre');
      assert.match(await page.locator('#f-draft_code-error').innerText(), fr('ne correspond à aucune pré-plainte en cours'));

      // The right code, typed loosely.
      await field(page, 'Code de reprise').fill(draftCode.toLowerCase().replaceAll('-', ' '));
      await press(page, 'Reprendre');
      expectPath(page, '/preplainte/faits');
      await expectHeading(page, 'Les faits');
      assert.equal(await field(page, 'Description des faits').inputValue(), CITIZEN.description, 'the unfinished step kept what was typed');

      // Back to the identity: every answer is there.
      await press(page, 'Précédent');
      expectPath(page, '/preplainte/identite');
      assert.equal(await field(page, 'Nom', true).inputValue(), CITIZEN.lastName);
      assert.equal(await field(page, 'Prénoms').inputValue(), CITIZEN.firstName);
      assert.equal(await field(page, 'Date de naissance').inputValue(), CITIZEN.birthDate);
      assert.equal(await field(page, 'Adresse électronique').inputValue(), CITIZEN.email);
      assert.equal(await field(page, 'Code postal').inputValue(), CITIZEN.postcode);
      assert.ok(await field(group(page, 'Civilité'), 'Madame', true).isChecked());

      // Forward through the facts and items to the evidence, then back: all kept.
      await press(page, 'Enregistrer et continuer');
      await fillFacts(page);
      await fillItems(page);
      await press(page, 'Précédent');
      expectPath(page, '/preplainte/objets');
      const row = group(page, 'Objet 1');
      assert.equal(await field(row, 'Numéro de série ou IMEI').inputValue(), CITIZEN.item.serial);
      await press(page, 'Précédent');
      expectPath(page, '/preplainte/faits');
      assert.equal(await field(page, 'Adresse ou lieu').inputValue(), CITIZEN.placeAddress);
    } finally {
      await ctx.close();
    }
  });

  test('an invalid step keeps what was typed and shows each error next to its field', async () => {
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      await startDraft(page, env.url);
      await field(page, 'Nom', true).fill(CITIZEN.lastName);
      await field(page, 'Adresse électronique').fill('camille.martin@');
      await field(page, 'Code postal').fill('6900');
      await press(page, 'Enregistrer et continuer');

      expectPath(page, '/preplainte/identite');
      assert.match(await page.title(), /^Erreur/);
      const summary = page.getByRole('alert');
      assert.match(await summary.innerText(), fr('Il y a un problème'));
      const errorFor = async (label, exact = false) => {
        const input = field(page, label, exact);
        assert.equal(await input.getAttribute('aria-invalid'), 'true', `${label} is marked invalid`);
        const id = await input.getAttribute('id');
        return page.locator(`#${id}-error`).innerText();
      };
      assert.match(await errorFor('Prénoms'), fr('Indiquez votre prénom'));
      assert.match(await errorFor('Adresse électronique'), fr('adresse électronique valable'));
      assert.match(await errorFor('Code postal'), fr('code postal de 5 chiffres'));
      assert.match(await errorFor('Date de naissance'), fr('Indiquez votre date de naissance'));
      // What was typed, right or wrong, is kept.
      assert.equal(await field(page, 'Nom', true).inputValue(), CITIZEN.lastName);
      assert.equal(await field(page, 'Adresse électronique').inputValue(), 'camille.martin@');
      assert.equal(await field(page, 'Code postal').inputValue(), '6900');
      // The summary links lead to the fields.
      const hrefs = await summary.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.includes('#f-email') && hrefs.includes('#f-postcode'), `summary links: ${hrefs}`);
    } finally {
      await ctx.close();
    }
  });
});
