// axe-core (WCAG 2.0 and 2.1, levels A and AA) on every page of the
// journey and on its error states: 0 violations. Also takes screenshots of
// key pages into e2e/screenshots/ (and docs/screenshot.png, the start of
// the pre-complaint, for the README when GUICHET_UPDATE_SCREENSHOT=1).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { REPO_DIR, SCREENSHOT_DIR, browserSupport, guichetBinary, suite } from '../lib/harness.js';
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
import { sidewaysScroll } from '../lib/phone.js';

const support = await browserSupport();

// Pages worth a picture, by the label the journey gives them.
const SCREENSHOTS = new Set(['accueil', 'eligibilite', 'identite-erreurs', 'creneaux', 'recapitulatif', 'confirmation', 'suivi', 'preuves-refus', 'journal']);

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
      // The transparency log's page, reached from the footer, and its
      // disclosure for specialists once open.
      await page.getByRole('contentinfo').getByRole('link', { name: 'Journal de transparence' }).click();
      await expectHeading(page, 'Journal de transparence');
      await check('journal');
      await page.getByText('Pour les spécialistes', { exact: true }).click();
      await check('journal-specialistes');
      // And the home page in English.
      await goto('/langue/en', 'accueil-en');
      await expectHeading(page, /police/i);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the switch leads to the English page');
      await goto('/log/', 'journal-en');
      await expectHeading(page, 'Transparency log');
      await page.getByText('For specialists', { exact: true }).click();
      await check('journal-specialistes-en');
    } finally {
      await ctx.close();
    }
    const pages = audit.pages.map((p) => p.label);
    assert.ok(pages.length >= 25, `axe ran on ${pages.length} pages: ${pages.join(', ')}`);
    assert.equal(audit.count(), 0, `axe found violations:\n${audit.report()}`);
  });

  // The log page on a phone: long hashes, keys and commands wrap instead of
  // making the page scroll sideways, in French and in English, with the
  // specialists' details open; the commands copy as one line each.
  test('the transparency log page fits a 390 px wide phone', async () => {
    for (const [locale, heading, details, copy, copied] of [
      ['fr-FR', 'Journal de transparence', 'Pour les spécialistes', 'Copier la commande', 'Commande copiée.'],
      ['en-GB', 'Transparency log', 'For specialists', 'Copy the command', 'Command copied.'],
    ]) {
      const ctx = await env.context(contextOptions({ locale, viewport: { width: 390, height: 844 } }));
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url });
      try {
        const page = await ctx.newPage();
        await page.goto(env.url + '/log/');
        await expectHeading(page, heading);
        await page.getByText(details, { exact: true }).click();
        const side = await sidewaysScroll(page);
        assert.ok(side.scroll <= side.view, `${locale}: the page is ${side.scroll} px wide in a ${side.view} px viewport`);
        assert.deepEqual(side.wide, [], `${locale}: elements past the right edge`);
        for (const id of ['cmd-receipt', 'cmd-log']) {
          const text = await page.locator('#' + id).textContent();
          assert.match(text, /^guichet verify (receipt|log) \S.* --key '[^'\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+'/, `${id}: ${text}`);
          assert.ok(!text.includes('\n'), `${id} is one line`);
        }
        // The copy button copies the command as shown and says so.
        await page.getByRole('button', { name: copy }).last().click();
        await page.getByRole('status').filter({ hasText: copied }).waitFor();
        const logCmd = await page.locator('#cmd-log').textContent();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), logCmd);
        // And the command, run as copied, verifies this very log.
        const dir = mkdtempSync(join(tmpdir(), 'guichet-verify-'));
        try {
          const out = execFileSync('sh', ['-c', logCmd], {
            cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(guichetBinary())}:${process.env.PATH}` },
          });
          assert.match(out, /^OK: log /, out);
          assert.ok(existsSync(join(dir, 'journal.state')), 'the state is saved where the command says');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOT_DIR, `journal-telephone-${locale}.png`), fullPage: true });
      } finally {
        await ctx.close();
      }
    }
  });
});
