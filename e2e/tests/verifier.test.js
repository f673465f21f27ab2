// The public checker (/verifier) and the statistics (/statistiques) on a
// phone (390×844, touch), as a person uses them.
//
// The checker: a number the demo's analyst published (the phishing
// campaign's), the interbank card-blocking line (on the known-good list, a
// genuine bank number) and an unknown number, pasted one a line; each gets
// its own answer, in plain words, with a report pre-filled with the value.
// The whole SMS is read too. Without JavaScript the same answers come.
// The statistics: charts with text alternatives and the data tables,
// readable with JavaScript disabled. axe-core finds nothing on either page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { PHONE, sidewaysScroll } from '../lib/phone.js';

const support = await browserSupport();

const SCAM = '01 99 00 12 34'; // published by the demo (phishing campaign)
const BANK = '0 892 705 705'; // Serveur interbancaire d'opposition à carte bancaire (known-good)
const UNKNOWN = '01 99 00 99 99'; // in ARCEP's fiction range, never reported

async function noViolations(page, label) {
  const v = await axeViolations(page);
  assert.equal(v.length, 0, formatViolations(label, v));
}

async function fits(page, label) {
  const s = await sidewaysScroll(page);
  assert.ok(s.scroll <= s.view, `${label}: sideways scroll (${s.scroll} > ${s.view}): ${s.wide.join(', ')}`);
}

describe('is this a scam? and statistics', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('a known scam number, a genuine bank number and an unknown value, on a phone', async () => {
    await env.withPage({ ...PHONE, locale: 'fr-FR' }, async (page) => {
      await page.goto(env.url + '/');
      await page.getByRole('link', { name: 'Vérifier un numéro ou un lien' }).click();
      await page.waitForURL('**/verifier');
      await noViolations(page, 'verifier');
      await page.getByLabel('Numéro, lien, adresse, IBAN ou texte du message').fill([SCAM, BANK, UNKNOWN].join('\n'));
      await page.getByRole('button', { name: 'Vérifier' }).click();
      await page.getByRole('heading', { name: 'Ce que nous savons' }).waitFor();
      const answers = page.locator('article.verdict');
      assert.equal(await answers.count(), 3);
      const scam = answers.nth(0);
      assert.match(await scam.innerText(), /Signalé comme frauduleux/);
      assert.match(await scam.innerText(), /Signalé \d+\s+fois depuis \p{L}+\s+\d{4}/u);
      const bank = answers.nth(1);
      assert.match(await bank.innerText(), /Valeur officielle connue/);
      assert.match(await bank.innerText(), /Serveur interbancaire d'opposition à carte bancaire/);
      assert.equal(await bank.getByRole('link', { name: 'Signaler cette valeur' }).count(), 0, 'a genuine number is not offered for a report');
      const unknown = answers.nth(2);
      assert.match(await unknown.innerText(), /Rien de connu/);
      assert.match(await unknown.innerText(), /ne veut pas dire qu’elle est sûre/);
      // What was typed is kept in the field.
      assert.equal(await page.getByLabel('Numéro, lien, adresse, IBAN ou texte du message').inputValue(), [SCAM, BANK, UNKNOWN].join('\n'));
      await noViolations(page, 'verifier-answers');
      await fits(page, 'verifier-answers');
      // The report pre-filled with the scam number.
      await scam.getByRole('link', { name: 'Signaler cette valeur' }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.getByLabel('Hameçonnage', { exact: false }).check();
      await page.getByRole('button', { name: 'Continuer' }).click();
      await page.waitForURL('**/signaler/signalement?**');
      assert.equal(await page.locator('textarea[name="vu.0.valeur"]').inputValue(), SCAM);
      assert.equal(await page.locator('select[name="vu.0.canal"]').inputValue(), 'phone');
    });
  });

  test('the checker reads a whole SMS, without JavaScript, in English', async () => {
    await env.withPage({ ...PHONE, locale: 'en-GB', javaScriptEnabled: false }, async (page) => {
      await page.goto(env.url + '/verifier');
      await page.getByLabel('Number, link, address, IBAN or text of the message').fill(
        `Your parcel is held: pay 1.99 EUR at https://lnk.example/c0lis-7Hq or call ${SCAM}.`);
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('heading', { name: 'What we know' }).waitFor();
      const text = await page.locator('.verifier-answers').innerText();
      assert.match(text, /https:\/\/lnk\.example\/c0lis-7Hq/);
      assert.match(text, /Reported \d+ times since/);
      assert.equal(await page.locator('article.verdict--reported').count(), 2);
    });
  });

  test('statistics: charts with text alternatives, data tables without JavaScript, no axe violation', async () => {
    await env.withPage({ ...PHONE, locale: 'fr-FR', javaScriptEnabled: false }, async (page) => {
      await page.goto(env.url + '/');
      await page.getByRole('link', { name: 'Statistiques' }).click();
      await page.waitForURL('**/statistiques');
      await page.getByRole('heading', { level: 1, name: 'Statistiques' }).waitFor();
      assert.ok(await page.locator('svg[role="img"] desc').count() >= 3, 'charts have descriptions');
      const weeks = page.getByRole('table', { name: /Nombre par semaine/ });
      assert.equal(await weeks.locator('tbody tr').count(), 52);
      const head = await weeks.locator('thead').innerText();
      assert.match(head, /Pré-plaintes/);
      assert.match(head, /Signalements/);
      // No number below 5 anywhere in the tables.
      const cells = await page.locator('.stat-table td').allInnerTexts();
      for (const c of cells) {
        const n = Number(c.replace(/\s/g, ''));
        assert.ok(c.includes('< 5') || c === 'masqué' || n >= 5, `a cell reads ${JSON.stringify(c)}`);
      }
      assert.ok(cells.some((c) => c.includes('< 5')), 'the demo has small counts, shown "< 5"');
    });
    await env.withPage({ ...PHONE, locale: 'fr-FR' }, async (page) => {
      await page.goto(env.url + '/statistiques');
      await noViolations(page, 'statistiques');
      await fits(page, 'statistiques');
      const csv = await page.request.get(env.url + '/statistiques.csv');
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /^table,row,column,value,status\n/);
    });
  });
});
