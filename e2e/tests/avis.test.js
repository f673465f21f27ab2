// Public warnings (avis) on the demo. A supervisor writes a bulletin in the
// back-office: a draft refused with its errors beside the fields (what was
// typed kept), then saved, previewed and published; it appears on /avis,
// in the Atom feed, in the CAP-in-Atom index and as a CAP 1.2 alert of its
// own, and the checker names it beside the published number it cites. /avis, a warning's page and the page for young people have no
// axe-core (WCAG 2.1 A/AA) violation and no sideways scroll on a phone;
// /avis reads the same with JavaScript off.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading } from '../lib/journey.js';
import { PHONE, sidewaysScroll, smallTargets } from '../lib/phone.js';
import { DEMO_PASSWORD, demoKey, totp } from '../lib/totp.js';

const support = await browserSupport();

async function signIn(page, base, serviceNumber) {
  await page.goto(`${base}/agent/connexion`);
  await page.getByLabel('Matricule').fill(serviceNumber);
  await page.getByLabel('Mot de passe', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/agent\/connexion\/code/);
  await page.getByLabel('Code de vérification').fill(totp(demoKey(serviceNumber)));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/agent/connexion')), page.getByRole('button', { name: 'Valider' }).click()]);
}

// A number the demo publishes (internal/demo: the phishing campaign's
// phone), as typed and as the key analysts cite.
const CITED_NUMBER = '01 99 00 12 34';
const CITED_KEY = 'phone:+33199001234';
const TITLE = 'Faux SMS de l’Assurance maladie : « votre carte Vitale expire »';
const TITLE_EN = 'Fake health insurance texts: "your Vitale card expires"';

async function phoneChecks(page, label, audit) {
  const side = await sidewaysScroll(page);
  assert.ok(side.scroll <= side.view && side.wide.length === 0, `${label}: no sideways scroll on a phone (${side.scroll} px in ${side.view}): ${side.wide.join(', ')}`);
  const { small } = await smallTargets(page);
  const inMain = [];
  for (const s of small) {
    if (await page.locator(`main ${s.what}`).count()) inMain.push(`${s.what} "${s.text}" ${s.width}×${s.height}`);
  }
  assert.deepEqual(inMain, [], `${label}: every control of the page's content offers 44×44 px`);
  await audit.check(page, `${label}, téléphone`);
}

describe('public warnings', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);
  let ref;

  test('a supervisor publishes a warning: on /avis, in the Atom and CAP feeds', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(), async (page) => {
      await signIn(page, env.url, 'SUP-L03');
      await page.goto(`${env.url}/agent/avis`);
      await expectHeading(page, 'Avis au public');
      await audit.check(page, 'liste des avis (agent)');
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Rédiger un nouvel avis' }).click()]);
      await expectHeading(page, 'Nouvel avis');

      // Refused: no English title, a malformed end date; what was typed stays.
      await page.getByLabel(/Adresse de la page/).fill('faux-sms-carte-vitale');
      await page.getByLabel('Alerte').check();
      await page.getByLabel('Seniors').check();
      const fr = page.locator('fieldset[lang="fr"]');
      const en = page.locator('fieldset[lang="en"]');
      await fr.getByLabel('Titre').fill(TITLE);
      await fr.getByLabel(/Résumé/).fill('Un SMS prétend que votre carte Vitale expire et vous envoie vers un faux site pour « la renouveler ».');
      await fr.getByLabel(/À quoi ça ressemble/).fill('- « Votre carte Vitale expire, renouvelez-la ici »\n- un lien vers un site qui imite ameli.fr');
      await fr.getByLabel('Que faire').fill('Ne cliquez pas. Transférez le SMS au **33700**.\n\n[Le site officiel](https://www.ameli.fr/)');
      await en.getByLabel(/Résumé/).fill('A text claims your Vitale card expires and sends you to a fake site to "renew" it.');
      await en.getByLabel(/À quoi ça ressemble/).fill('- "Your Vitale card expires, renew it here"');
      await en.getByLabel('Que faire').fill('Do not click. Forward the text to **33700**.');
      await page.getByLabel(/Jusqu’au/).fill('31/12/2026');
      // It cites a number the demo's analysts published (phishing campaign).
      await page.getByLabel(/Indicateurs publiés cités/).fill(CITED_KEY);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Créer le brouillon' }).click()]);
      const summary = page.getByRole('alert');
      await summary.getByRole('link').first().waitFor();
      const links = await summary.getByRole('link').allInnerTexts();
      assert.ok(links.some((l) => /titre en anglais/i.test(l)), `the summary names the English title: ${links}`);
      assert.ok(links.some((l) => /date de fin/i.test(l)), `the summary names the end date: ${links}`);
      assert.equal(await fr.getByLabel('Titre').inputValue(), TITLE, 'what was typed is kept');
      assert.equal(await page.getByLabel(/Jusqu’au/).inputValue(), '31/12/2026', 'even a date that did not parse');
      await audit.check(page, 'avis refusé');

      await en.getByLabel('Titre').fill(TITLE_EN);
      await page.getByLabel(/Jusqu’au/).fill('2027-03-31');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Créer le brouillon' }).click()]);
      await page.getByRole('status').filter({ hasText: 'Brouillon créé' }).waitFor();
      ref = /\/agent\/avis\/(AV-[0-9A-Z-]+)/.exec(page.url())[1];
      // The preview shows the rendered markup, links and emphasis.
      const preview = page.locator('section[aria-labelledby="preview-title"]');
      await preview.getByRole('heading', { name: TITLE }).waitFor();
      assert.equal(await preview.getByRole('link', { name: 'Le site officiel' }).getAttribute('href'), 'https://www.ameli.fr/');
      assert.equal(await preview.locator('strong').first().innerText(), '33700');
      await audit.check(page, 'aperçu');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Publier l’avis' }).click()]);
      await page.getByRole('status').filter({ hasText: 'Avis publié' }).waitFor();

      await page.goto(`${env.url}/avis`);
      await page.getByRole('heading', { level: 2, name: TITLE }).waitFor();
      await page.goto(`${env.url}/avis?pour=seniors`);
      await page.getByRole('heading', { level: 2, name: TITLE }).waitFor();
      await page.goto(`${env.url}/avis?pour=business`);
      assert.equal(await page.getByRole('heading', { level: 2, name: TITLE }).count(), 0, 'not for businesses');

      // The checker names the new warning beside the number it cites.
      await page.goto(`${env.url}/verifier`);
      await page.getByLabel('Numéro, lien, adresse, IBAN ou texte du message').fill(CITED_NUMBER);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Vérifier' }).click()]);
      const verdict = page.locator('article.verdict').first();
      await verdict.waitFor();
      assert.match(await verdict.innerText(), /Signalé comme frauduleux/);
      const cited = verdict.getByRole('link', { name: TITLE });
      assert.equal(await cited.count(), 1, `the checker's answer links the warning: ${await verdict.innerText()}`);
      assert.match(await cited.getAttribute('href'), /^\/avis\//);
    });
    assert.equal(audit.count(), 0, audit.report());

    const atom = await fetch(`${env.url}/avis/flux.atom`);
    assert.equal(atom.status, 200);
    assert.match(atom.headers.get('content-type'), /^application\/atom\+xml/);
    assert.ok(atom.headers.get('etag') && atom.headers.get('last-modified'), 'the feed has caching headers');
    const atomText = await atom.text();
    assert.ok(atomText.includes(`avis/${ref}`) && atomText.includes('Faux SMS de l’Assurance maladie'), 'in the Atom feed');
    const again = await fetch(`${env.url}/avis/flux.atom`, { headers: { 'If-None-Match': atom.headers.get('etag') } });
    assert.equal(again.status, 304);
    const en = await fetch(`${env.url}/avis/flux.atom?lang=en`).then((r) => r.text());
    assert.ok(en.includes('Fake health insurance texts'), 'in the English Atom feed');
    const index = await fetch(`${env.url}/avis/cap.atom`).then((r) => r.text());
    assert.ok(index.includes(`/avis/${ref}.cap.xml`), 'in the CAP-in-Atom index');
    const cap = await fetch(`${env.url}/avis/${ref}.cap.xml`);
    assert.match(cap.headers.get('content-type'), /^application\/cap\+xml/);
    const capText = await cap.text();
    for (const want of ['<msgType>Alert</msgType>', '<category>Security</category>', '<language>fr</language>', '<language>en</language>', '<severity>Severe</severity>', '<urgency>Immediate</urgency>']) {
      assert.ok(capText.includes(want), `the CAP alert holds ${want}`);
    }
  });

  test('the warning, the list and the young people’s page on a phone, axe clean', async () => {
    const audit = new AxeAudit();
    await env.withPage(contextOptions(PHONE), async (page) => {
      await page.goto(`${env.url}/avis`);
      await expectHeading(page, /Avis de la police/);
      await phoneChecks(page, '/avis', audit);
      await Promise.all([page.waitForEvent('load'), page.locator('main a[href="/avis/faux-sms-frais-de-livraison"]').click()]);
      await expectHeading(page, /votre colis est en attente/);
      const report = page.getByRole('link', { name: 'Signaler ce message' });
      assert.match(await report.getAttribute('href'), /\/signaler\/signalement\?categorie=phishing$/, 'the report form, pre-filled');
      await phoneChecks(page, 'un avis', audit);
      const pdf = await fetch(new URL(await page.getByRole('link', { name: /Imprimer l’affiche/ }).getAttribute('href'), env.url));
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get('content-type'), 'application/pdf');
      assert.ok(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString() === '%PDF-', 'a PDF poster');
      await page.goto(`${env.url}/avis/jeunes`);
      await expectHeading(page, 'Jeunes et parents : se protéger en ligne');
      for (const n of ['3018', '119', '17']) {
        assert.equal(await page.locator(`a[href="tel:${n}"]`).count() >= 1, true, `a link to call ${n}`);
      }
      await phoneChecks(page, '/avis/jeunes', audit);
    });
    assert.equal(audit.count(), 0, audit.report());
  });

  test('/avis reads the same without JavaScript', async () => {
    await env.withPage(contextOptions({ javaScriptEnabled: false }), async (page) => {
      await page.goto(`${env.url}/avis`);
      await expectHeading(page, /Avis de la police/);
      assert.ok((await page.locator('article h2').count()) >= 4, 'the demo warnings are listed');
      await page.getByRole('radio', { name: 'Jeunes' }).check();
      await Promise.all([page.waitForURL(/pour=young/), page.getByRole('button', { name: 'Afficher ces avis' }).click()]);
      await page.getByRole('heading', { level: 2, name: /Sextorsion/ }).waitFor();
      await page.getByRole('radio', { name: 'Entreprises' }).check();
      await Promise.all([page.waitForURL(/pour=business/), page.getByRole('button', { name: 'Afficher ces avis' }).click()]);
      await page.getByRole('heading', { level: 2, name: /Faux sites de déstockage/ }).waitFor();
      assert.equal(await page.getByRole('heading', { level: 2, name: /Sextorsion/ }).count(), 0, 'filtered by audience (a warning for everyone is shown to all)');
      const alt = await page.locator('link[rel="alternate"][type="application/atom+xml"]').first().getAttribute('href');
      assert.equal(alt, '/avis/flux.atom');
      // A warning's page and the page for young people, the same without script.
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: /Faux sites de déstockage/ }).first().click()]);
      await expectHeading(page, /Faux sites de déstockage/);
      assert.ok((await page.locator('a[href^="/signaler"]').count()) >= 1, 'a link to report it');
      await page.goto(`${env.url}/avis/jeunes`);
      for (const n of ['3018', '119', '17']) {
        assert.ok((await page.locator(`a[href="tel:${n}"]`).count()) >= 1, `without script, a link to call ${n}`);
      }
    });
  });
});
