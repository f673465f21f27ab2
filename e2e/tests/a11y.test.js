// axe-core (WCAG 2.0 and 2.1, levels A and AA) on every page of the
// journey and on its error states: 0 violations. Also takes screenshots of
// key pages into e2e/screenshots/ (and docs/screenshot.png, the start of
// the pre-complaint, for the README when GUICHET_UPDATE_SCREENSHOT=1).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { REPO_DIR, SCREENSHOT_DIR, browserSupport, suite } from '../lib/harness.js';
import {
  DISGUISED_EXE,
  contextOptions,
  expectHeading,
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

// Pages worth a picture, by the label the journey gives them.
const SCREENSHOTS = new Set(['accueil', 'eligibilite', 'identite-erreurs', 'creneaux', 'recapitulatif', 'confirmation', 'suivi', 'preuves-refus']);

describe('accessibility (axe-core, WCAG 2.1 A and AA)', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('no violation on any page of the journey, nor on its error states', async () => {
    const audit = new AxeAudit();
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const check = async (label) => {
        await audit.check(page, label);
        if (SCREENSHOTS.has(label)) {
          await page.screenshot({ path: join(SCREENSHOT_DIR, `${label}.png`), fullPage: true });
        }
        // The README's picture: the pre-complaint's first page, as first seen
        // (no date field: Debian's Chromium shows them in English).
        if (label === 'eligibilite' && process.env.GUICHET_UPDATE_SCREENSHOT === '1') {
          mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
          await page.screenshot({ path: join(REPO_DIR, 'docs', 'screenshot.png') });
        }
      };
      const goto = async (path, label) => {
        await page.goto(env.url + path);
        await check(label);
      };

      // Eligibility: unanswered, then each way out that is not a pre-complaint.
      await goto('/preplainte', 'eligibilite-vide');
      await press(page, 'Continuer');
      await check('eligibilite-erreurs');
      for (const [label, answers] of [
        ['orientation-urgence', { 'Êtes-vous en danger': 'Oui' }],
        ['orientation-violences', { 'Êtes-vous en danger': 'Non', 'Avez-vous subi des violences': 'Oui', "Connaissez-vous l'auteur": 'Non', 'De quoi êtes-vous victime': 'Vol' }],
        ['orientation-auteur-connu', { 'Êtes-vous en danger': 'Non', 'Avez-vous subi des violences': 'Non', "Connaissez-vous l'auteur": 'Oui', 'De quoi êtes-vous victime': 'Vol' }],
        ['orientation-arnaque', { 'Êtes-vous en danger': 'Non', 'Avez-vous subi des violences': 'Non', "Connaissez-vous l'auteur": 'Non', 'De quoi êtes-vous victime': 'Arnaque sur internet' }],
      ]) {
        await page.goto(env.url + '/preplainte');
        for (const [question, answer] of Object.entries(answers)) {
          await group(page, question).getByLabel(fr(answer, { exact: true })).check();
        }
        await press(page, 'Continuer');
        await check(label);
      }

      // The journey, with each step's error state on the way.
      const errorsFirst = {
        identite: async () => press(page, 'Enregistrer et continuer'),
        faits: async () => press(page, 'Enregistrer et continuer'),
        objets: async () => press(page, 'Enregistrer et continuer'),
        preuves: async () => {
          await field(page, 'Ajouter un fichier').setInputFiles(DISGUISED_EXE);
          await press(page, 'Envoyer ce fichier');
          await page.locator('#f-evidence-error').waitFor();
          return 'preuves-refus';
        },
        creneaux: async () => press(page, 'Enregistrer et continuer'),
        recapitulatif: async () => press(page, 'Envoyer ma pré-plainte'),
      };
      const filed = await fileComplaint(page, env.url, {
        upload: true,
        onPage: async (label) => {
          await check(label);
          if (errorsFirst[label]) {
            const errLabel = (await errorsFirst[label]()) || `${label}-erreurs`;
            assert.ok((await page.locator('.error-summary, .error-message').count()) > 0, `${errLabel}: an error is shown`);
            await check(errLabel);
          }
        },
      });

      // After submission: status page, receipt, tracking form and its errors.
      await goto(`/suivi/${filed.ref}`, 'suivi');
      await goto(`/suivi/${filed.ref}/recu`, 'recu');
      await goto(`/suivi/${filed.ref}/rendez-vous/annuler`, 'annulation');
      const other = await env.context(contextOptions());
      try {
        const p2 = await other.newPage();
        await track(p2, env.url, filed.ref, wrongCode(filed.code));
        await audit.check(p2, 'suivi-mauvais-code');
        await track(p2, env.url, filed.ref.slice(0, -1) + (filed.ref.at(-1) === '0' ? '1' : '0'), filed.code);
        await audit.check(p2, 'suivi-faute-de-frappe');
      } finally {
        await other.close();
      }
      await goto('/suivi', 'suivi-formulaire');
      await goto('/preplainte/reprendre', 'reprendre');
      await field(page, 'Code de reprise').fill('ABCD-EFGH-JKMN-PQRS');
      await press(page, 'Reprendre');
      await check('reprendre-code-inconnu');
      await goto('/commissariats', 'commissariats');
      await goto('/cette-page-n-existe-pas', 'page-introuvable');
      // And the home page in English.
      await goto('/langue/en', 'accueil-en');
      await expectHeading(page, /police/i);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the switch leads to the English page');
    } finally {
      await ctx.close();
    }
    const pages = audit.pages.map((p) => p.label);
    assert.ok(pages.length >= 25, `axe ran on ${pages.length} pages: ${pages.join(', ')}`);
    assert.equal(audit.count(), 0, `axe found violations:\n${audit.report()}`);
  });
});
