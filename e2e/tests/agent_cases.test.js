// The back-office case desk in real Chromium on the demo: an agent of
// Lyon 3e signs in (password + TOTP), opens the queue, reads a demo case
// with a purpose, writes to the citizen, converts the pre-complaint into a
// formal complaint and downloads its PDF; a supervisor reads the deadlines
// and the access log; then the citizen, with the case's reference and
// tracking code, sees the reading («Consulté par…»), the message and the
// conversion on the status page. axe-core (WCAG 2.1 A/AA) finds nothing on
// any page visited.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, fr, track } from '../lib/journey.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

/** The sample cases the demo printed: reference, tracking code, state. */
function demoCases(output) {
  return output
    .split('\n')
    .map((l) => /^\s+(PP-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\s+(.*)$/.exec(l))
    .filter(Boolean)
    .map((m) => ({ ref: m[1], code: m[2], state: m[3] }));
}

/** The pseudonym the demo printed for a seeded login. */
function pseudonym(output, serviceNumber) {
  const m = new RegExp(`^\\s+${serviceNumber}\\s.*pseudonym (\\S+)\\)`, 'm').exec(output);
  assert.ok(m, `the demo printed ${serviceNumber}'s pseudonym:\n${output}`);
  return m[1];
}

/** Signs in on the page it was sent to (a back-office address). */
async function signIn(page, serviceNumber) {
  await page.waitForURL(/\/agent\/connexion\?retour=/);
  await page.getByLabel('Matricule').fill(serviceNumber);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
  await page.getByLabel('Code de vérification').fill(totp(demoKey(serviceNumber)));
  await page.getByRole('button', { name: 'Valider' }).click();
}

describe('agent case desk', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('agent reads, writes to the citizen, converts; supervisor audits; the citizen sees it all', async () => {
    const output = env.server.output();
    const cases = demoCases(output);
    const agent = pseudonym(output, 'AGT-L03');
    const audit = new AxeAudit();
    let converted; // { ref, code, pl }
    const note = `Merci d'apporter la facture du téléphone <b>et</b> votre pièce d'identité. ${Date.now()}`;

    await env.withPage(contextOptions({ acceptDownloads: true }), async (page) => {
      await page.goto(`${env.url}/agent/`);
      await signIn(page, 'AGT-L03');
      await page.waitForURL(`${env.url}/agent/`);
      await expectHeading(page, 'Pré-plaintes de l’unité');
      await audit.check(page, 'file des dossiers');

      // A demo case of the agent's unit, still open.
      const table = page.getByRole('table', { name: 'Pré-plaintes, par date de rendez-vous' });
      const listed = await table.getByRole('link').allInnerTexts();
      const c = cases.find((x) => listed.includes(x.ref));
      assert.ok(c, `a printed demo case is in Lyon 3e's queue (queue: ${listed.join(', ')})`);
      await table.getByRole('link', { name: c.ref }).click();
      await expectHeading(page, `Dossier ${c.ref}`);
      await audit.check(page, 'résumé');

      await page.getByLabel('préparation du rendez-vous').check();
      await page.getByRole('button', { name: 'Consulter le dossier' }).click();
      await expectHeading(page, `Dossier ${c.ref} — consultation`);
      await page.getByText('Consultation enregistrée').waitFor();
      await audit.check(page, 'dossier consulté');

      await page.getByLabel('Nouvelle note').fill(note);
      await page.getByLabel('Message à la victime').check();
      await page.getByRole('button', { name: 'Ajouter la note' }).click();
      await page.getByText('La note a été ajoutée.').waitFor();

      await page.getByRole('link', { name: 'Enregistrer la plainte' }).click();
      await expectHeading(page, `Enregistrer la plainte — ${c.ref}`);
      await audit.check(page, 'formulaire de plainte');
      await page.getByLabel('Pièce d’identité présentée').selectOption('cni');
      await page.getByLabel('J’ai vérifié la pièce d’identité de la victime').check();
      await page.getByRole('button', { name: 'Enregistrer la plainte' }).click();
      const h1 = await page.getByRole('heading', { level: 1 }).innerText();
      const pl = /Plainte (PL-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}) enregistrée/.exec(h1)?.[1];
      assert.ok(pl, `the complaint is recorded: ${h1}`);
      await audit.check(page, 'plainte enregistrée');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Télécharger le récépissé de dépôt de plainte (PDF)' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `plainte-${pl}.pdf`);
      assert.equal(readFileSync(await download.path()).subarray(0, 4).toString(), '%PDF');
      converted = { ...c, pl };

      await page.goto(`${env.url}/agent/calendrier`);
      await expectHeading(page, 'Calendrier des rendez-vous');
      await audit.check(page, 'calendrier');
    });

    await env.withPage(contextOptions(), async (page) => {
      await page.goto(`${env.url}/agent/echeances`);
      await signIn(page, 'SUP-L03');
      await page.waitForURL(`${env.url}/agent/echeances`);
      await expectHeading(page, 'Échéances');
      await audit.check(page, 'échéances');
      await page.goto(`${env.url}/agent/acces`);
      await expectHeading(page, 'Journal des accès');
      const log = await page.locator('main').innerText();
      assert.ok(log.includes(converted.ref) && log.includes(agent), `the access log lists ${agent}'s reading of ${converted.ref}`);
      await audit.check(page, 'journal des accès');
    });

    await env.withPage(contextOptions(), async (page) => {
      await track(page, env.url, converted.ref, converted.code);
      await expectHeading(page, `Dossier ${converted.ref}`);
      const main = page.locator('main');
      await main.getByText(`Votre pré-plainte est devenue la plainte n° ${converted.pl}.`).first().waitFor();
      const readings = page.locator('#consultations');
      await readings.getByRole('heading', { level: 2, name: fr('Qui a consulté votre dossier') }).waitFor();
      const text = (await readings.innerText()).replace(/\u00a0/g, ' ');
      assert.match(text, new RegExp(`Consulté par Commissariat[^,]*Lyon 3e, agent n° ${agent}, le .+ — préparation du rendez-vous`));
      assert.match(text, /— enregistrement de la plainte/, 'the reading of the conversion form is listed too');
      const quoted = page.locator('.citizen-note');
      assert.equal(await quoted.innerText(), note, 'the note is shown as the agent wrote it, as text');
      assert.equal(await quoted.locator('b').count(), 0, 'markup in the note is not rendered');
      await audit.check(page, 'suivi du citoyen');
    });

    assert.equal(audit.pages.length, 9, 'axe ran on every page visited');
    assert.equal(audit.count(), 0, audit.report());
  });
});
