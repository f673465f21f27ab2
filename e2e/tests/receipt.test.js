// The transparency-log receipt on a demo case's status page: the filing
// said sealed in plain words, "index N" shown under "Pour les spécialistes", recu.json downloaded and checked (it parses, carries an inclusion
// proof and a signed checkpoint, and `guichet verify receipt` accepts it
// with the key the demo printed), the proof refreshed with the plain form,
// JavaScript off; then axe-core finds no violation, JavaScript on.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, guichetBinary, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, fr, press, track } from '../lib/journey.js';

const support = await browserSupport();

const INDEXED = /Enregistré dans le journal public à l[’']index (\d+)\./;

/**
 * The first sample case the demo printed (reference, tracking code) whose
 * personal data is not erased, and the log's verifier key.
 */
function demoCase(output) {
  const sample = output
    .split('\n')
    .map((l) => /^\s+(PP-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\s+(.*)$/.exec(l))
    .find((m) => m && !/effacées/.test(m[3]));
  assert.ok(sample, `the demo printed a sample case:\n${output}`);
  const key = /verifier key: (\S+)/.exec(output);
  assert.ok(key, `the demo printed the log's verifier key:\n${output}`);
  return { ref: sample[1], code: sample[2], vkey: key[1] };
}

const SEALED = fr('Votre dépôt est scellé dans un registre public : personne ne peut le modifier ou le supprimer sans que cela se voie.');

/** Opens the technical details for specialists, if closed. */
async function openSpecialists(scope) {
  const details = scope.locator('details.log-specialists');
  if ((await details.count()) && !(await details.getAttribute('open'))) await details.locator('summary').click();
}

/**
 * Opens the case, waits until its submission is logged (refreshing), and
 * opens the details for specialists.
 */
async function openLogged(page, base, ref, code) {
  await track(page, base, ref, code);
  await expectHeading(page, `Dossier ${ref}`);
  await page.getByRole('heading', { level: 2, name: fr('Journal public de transparence') }).waitFor();
  for (let i = 0; i < 50 && !SEALED.test(await page.locator('#journal').innerText()); i++) {
    await page.waitForTimeout(200);
    await press(page, 'Actualiser la preuve');
  }
  assert.ok(!INDEXED.test(await page.locator('#journal').innerText()) || (await page.locator('details.log-specialists[open]').count()) > 0,
    'the index is shown only to whoever opens the details for specialists');
  await openSpecialists(page.locator('#journal'));
  const m = INDEXED.exec(await page.locator('#journal').innerText());
  assert.ok(m, 'the status page says where the submission is in the log');
  return Number(m[1]);
}

describe('transparency-log receipt (status page)', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  let demo;
  before(() => {
    if (!support.skip) demo = demoCase(env.server.output());
  });

  test('the citizen sees the index, downloads recu.json, which verifies, and refreshes the proof (JavaScript off)', async () => {
    await env.withPage(contextOptions({ javaScriptEnabled: false, acceptDownloads: true }), async (page) => {
      const index = await openLogged(page, env.url, demo.ref, demo.code);
      const journal = page.locator('#journal');
      const size = Number(/à (\d+) entrées/.exec(await journal.innerText())?.[1]);
      assert.ok(size > index, `the proof covers a tree holding the entry (size ${size}, index ${index})`);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        journal.getByRole('link', { name: fr('Télécharger le reçu du journal (JSON)') }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `recu-${demo.ref}.json`);
      const file = await download.path();
      const receipt = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(receipt.format, 'guichet-receipt/v1');
      assert.equal(receipt.ref, demo.ref);
      assert.equal(receipt.index, index, 'the receipt is for the index the page shows');
      assert.ok(Array.isArray(receipt.inclusion_proof) && receipt.inclusion_proof.length > 0, 'it carries an inclusion proof');
      assert.equal(JSON.parse(receipt.leaf).type, 'submitted', 'the leaf is the submission');
      assert.match(receipt.checkpoint, new RegExp(`^${demo.vkey.split('+')[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n${size}\\n`), 'the checkpoint is of this log, at the size shown');
      assert.match(receipt.checkpoint, /\n\n— /, 'the checkpoint is signed');
      assert.ok(!JSON.stringify(receipt).includes(demo.code), 'the receipt does not hold the tracking code');

      const out = execFileSync(guichetBinary(), ['verify', 'receipt', file, '--key', demo.vkey], { encoding: 'utf8' });
      assert.match(out, new RegExp(`^OK: event "submitted" of ${demo.ref} .* is entry ${index} of log`), out);

      await press(page, 'Actualiser la preuve');
      await expectHeading(page, `Dossier ${demo.ref}`);
      const notice = await page.getByRole('status').filter({ hasText: fr('Preuve actualisée') }).innerText();
      assert.match(notice, fr('votre dépôt y figure toujours'), notice);
      assert.match(await journal.innerText(), INDEXED, 'the entry is still shown after the refresh');
    });
  });

  test('the log section passes axe-core, before and after a refresh (JavaScript on)', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page) => {
      await openLogged(page, env.url, demo.ref, demo.code);
      await audit.check(page, 'suivi-journal');
      await press(page, 'Actualiser la preuve');
      await page.getByRole('status').filter({ hasText: fr('Preuve actualisée') }).waitFor();
      await audit.check(page, 'suivi-preuve-actualisee');
      await page.goto(`${env.url}/suivi/${demo.ref}/recu`);
      assert.match(await page.locator('main').innerText(), SEALED, 'the printable receipt says the filing is sealed');
      await openSpecialists(page.locator('main'));
      assert.match(await page.locator('main').innerText(), INDEXED, 'the printable receipt shows the index to specialists');
      await audit.check(page, 'recu-imprimable');
    });
    assert.equal(audit.count(), 0, `axe-core violations:\n${audit.report()}`);
  });
});
