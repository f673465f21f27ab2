// "Are you the victim?" (issue 12) on a phone (390×844, touch), in
// French, with JavaScript: a phishing victim who lost money files a
// report, takes the pre-complaint path from its sent page — told first
// that the report will no longer be anonymous to the police — finds the
// kind of offence chosen and what they typed already in the facts
// (account, day, the link and number of the SMS), completes and submits;
// the report's status page then says a pre-complaint was filed from it.
// The button offers 44×44 px; axe-core (WCAG 2.1 A/AA) finds nothing on
// any page; no page scrolls sideways.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import {
  CITIZEN, REF_RE, chooseStation, contextOptions, evidenceStep, expectHeading, expectPath, field, fillIdentity, fr, group, press,
  readConfirmation,
} from '../lib/journey.js';
import { MIN_TARGET, PHONE } from '../lib/phone.js';

const support = await browserSupport();

const SG_RE = /SG-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/;
const SMS = 'Votre colis est bloqué. Réglez 1,99 € sur https://colis-suivi-fr.info/paiement ou appelez le 06 12 34 56 78.';
const ACCOUNT = 'J’ai payé 1,99 € sur le lien puis ma banque a vu partir 1 240 € vers un compte inconnu.';

/** axe finds nothing and the page fits the phone's width. */
async function checkPage(page, label) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, formatViolations(label, violations));
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `${label}: the page is ${scroll} px wide in a ${client} px viewport`);
}

/** Text as read, spaces of any kind made plain. */
async function textOf(locator) {
  return (await locator.innerText()).replace(/[\u00a0\u202f\u2060]/g, ' ');
}

describe('a victim goes from their report to a pre-complaint', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('phishing, money lost: the report kept and linked, what was typed carried over', async () => {
    await env.withPage(contextOptions({ ...PHONE }), async (page) => {
      await page.goto(env.url + '/signaler');
      await group(page, 'De quoi s’agit-il').getByRole('radio', { name: /^Hameçonnage/ }).check();
      await press(page, 'Continuer');
      expectPath(page, '/signaler/signalement');
      await field(group(page, 'Élément 1'), 'Ce que vous avez vu').fill(SMS);
      const day = new Date(Date.now() - 2 * 86400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
      await field(page, 'Quand l’avez-vous vu').fill(day);
      await field(page, 'Que s’est-il passé').fill(ACCOUNT);
      await group(page, 'Êtes-vous victime').getByRole('radio', { name: fr('Oui, et j’ai perdu de l’argent') }).check();
      // pow.js solves the challenge while the reporter types.
      await page.waitForFunction(() => document.querySelector('input[name="pow_nonce"]').value !== '', null, { timeout: 10_000 });
      await press(page, 'Envoyer le signalement');
      expectPath(page, '/signaler/envoye');
      await expectHeading(page, 'Votre signalement est envoyé');
      const sg = (await page.locator('.ref').first().textContent()).trim();
      assert.match(sg, SG_RE);

      const offer = page.getByRole('region', { name: fr('Vous avez perdu de l’argent') });
      const said = await textOf(offer);
      const warn = said.indexOf('ne sera plus anonyme pour elle');
      assert.ok(warn >= 0, 'the page says the report will no longer be anonymous');
      assert.ok(said.includes(`reliée au signalement ${sg}`), 'the page says the pre-complaint will be linked to the report');
      const go = offer.getByRole('button', { name: fr('Déposer une pré-plainte avec ces éléments', { exact: true }) });
      assert.ok(warn < said.indexOf('Déposer une pré-plainte avec ces éléments'), 'it is said before the button');
      const box = await go.boundingBox();
      assert.ok(box.width >= MIN_TARGET && box.height >= MIN_TARGET, `the button is ${box.width}×${box.height} px`);
      await checkPage(page, 'envoye');

      await Promise.all([page.waitForEvent('load'), go.tap()]);
      expectPath(page, '/preplainte');
      assert.equal(new URL(page.url()).searchParams.get('signalement'), sg);
      await expectHeading(page, 'Faire une pré-plainte en ligne');
      assert.match(await textOf(page.locator('main')), new RegExp(`Votre pré-plainte part de votre signalement ${sg}`));
      const kind = group(page, 'De quoi êtes-vous victime').getByRole('radio', { name: fr('Escroquerie, y compris sur internet') });
      assert.ok(await kind.isChecked(), 'the kind of offence is chosen from the report');
      await checkPage(page, 'eligibilite');
      await field(group(page, 'Êtes-vous en danger'), 'Non', true).check();
      await field(group(page, 'Avez-vous subi des violences'), 'Non', true).check();
      await field(group(page, "Connaissez-vous l'auteur"), 'Non', true).check();
      await press(page, 'Continuer');
      expectPath(page, '/preplainte/code');
      await page.getByRole('link', { name: fr('Continuer', { exact: true }) }).tap();
      await page.waitForURL(/\/preplainte\/identite/);
      await fillIdentity(page);

      // The facts: what was typed in the report is there.
      await expectHeading(page, 'Les faits');
      assert.match(await textOf(page.locator('main')), new RegExp(`ce que vous aviez écrit dans votre signalement ${sg}`));
      const when = field(page, 'Date et heure des faits');
      assert.equal(await when.inputValue(), `${day}T00:00`, 'the day seen starts the facts');
      const told = await field(page, 'Description des faits').inputValue();
      assert.ok(told.startsWith(ACCOUNT), 'the account typed in the report is the start of the facts');
      assert.match(told, new RegExp(`Éléments donnés dans le signalement ${sg}`));
      assert.match(told, /Lien\s:\s\S*colis-suivi-fr\.info/, 'the link of the SMS, labelled');
      assert.match(told, /Numéro de téléphone\s:\s\+33 6 12 34 56 78/, 'the number of the SMS, labelled');
      await checkPage(page, 'faits');
      await when.fill(`${day}T09:15`);
      await field(page, 'Adresse ou lieu').fill(CITIZEN.placeAddress);
      await field(page, 'Code postal').fill(CITIZEN.placePostcode);
      await field(page, 'Commune').fill(CITIZEN.placeCity);
      await press(page, 'Enregistrer et continuer');
      expectPath(page, '/preplainte/objets');
      await press(page, 'Enregistrer et continuer'); // nothing stolen: a fraud
      await evidenceStep(page);
      await chooseStation(page);

      await expectHeading(page, 'Vérifiez votre pré-plainte');
      const review = await textOf(page.locator('main'));
      assert.match(review, new RegExp(`Signalement relié\\s+${sg}`), 'the review names the report it will be linked to');
      assert.ok(review.includes('il ne sera plus anonyme pour la police'));
      await checkPage(page, 'recapitulatif');
      await field(page, 'Je certifie que les informations données sont exactes').check();
      await press(page, 'Envoyer ma pré-plainte');
      const { ref: pp } = await readConfirmation(page);
      assert.match(pp, REF_RE);

      // Back to the report, as filed, and its status page shows the link.
      await page.goto(env.url + '/signaler/envoye');
      await expectHeading(page, 'Votre signalement est envoyé');
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: fr('Suivre mon signalement', { exact: true }) }).tap()]);
      expectPath(page, `/suivi/${sg}`);
      const status = await textOf(page.locator('main'));
      assert.ok(status.includes(`Une pré-plainte (${pp}) a été déposée à partir de ce signalement`), 'the status page says a pre-complaint was filed from it');
      assert.ok(status.includes('colis-suivi-fr.info'), 'the report is as filed');
      await checkPage(page, 'suivi-signalement');
    });
  });
});
