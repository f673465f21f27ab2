// The citizen's pre-complaint journey, step by step, as a person does it:
// fields found by their visible labels, buttons by their names. French UI.
//
// Every step function expects the page to be on that step and leaves it on
// the next one, asserting what a person would check on the way.

import assert from 'node:assert/strict';

/** The reference format of a pre-complaint: PP-YYYY-XXXX-XXXX (Crockford base32). */
export const REF_RE = /^PP-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
/** A secret code (draft or tracking): 16 Crockford symbols in groups of four. */
export const CODE_RE = /^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

/**
 * A pattern for French UI text as a person reads it: apostrophes may be
 * straight or typographic (’), spaces may be non-breaking (as before « ? »
 * and « : ») or joined (the word joiner after a range's dash, "9 h – 12 h").
 * exact anchors it to the whole text.
 */
export function fr(text, { exact = false } = {}) {
  const src = text
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/['’]/g, "['’]")
    .replace(/ +/g, '[\\s\\u00a0\\u202f\\u2060]+');
  return new RegExp(exact ? `^\\s*${src}\\s*$` : src);
}

/** What the citizen types, shared by the tests that check it comes back. */
export const CITIZEN = {
  lastName: 'Martin',
  firstName: 'Camille',
  birthDate: '1985-03-27',
  birthPlace: 'Lyon, France',
  email: 'camille.martin@exemple.fr',
  phone: '06 12 34 56 78',
  address: '12 rue de la République',
  postcode: '69003',
  city: 'Lyon',
  placeAddress: 'Parking de la gare Part-Dieu',
  placePostcode: '69003',
  placeCity: 'Lyon',
  description:
    "En revenant à ma voiture vers 15 h, j'ai constaté que la vitre arrière était brisée " +
    'et que mon sac, posé sur la banquette, avait disparu. Un agent de sécurité a vu deux personnes partir en courant.',
  item: {
    kind: 'Téléphone',
    description: 'Téléphone Fairphone 5 noir',
    value: '450',
    serial: '490154203237518', // a valid IMEI (Luhn)
  },
  unit: /Lyon 3e/,
};

/** A small but real PDF, as a citizen's invoice would be. */
export const SMALL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);

/** A Windows executable (MZ header) disguised as an invoice. */
export const DISGUISED_EXE = {
  name: 'facture.pdf',
  mimeType: 'application/pdf',
  buffer: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'binary'), Buffer.alloc(496, 0)]),
};

/** The moment of the facts: three days ago at 14:30, Paris time, as datetime-local. */
export function factsFrom(now = new Date()) {
  const d = new Date(now.getTime() - 3 * 86400_000);
  const day = d.toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' }); // YYYY-MM-DD
  return `${day}T14:30`;
}

/** Options of a fresh browser context: French, like a citizen in France. */
export function contextOptions(extra = {}) {
  return { locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 }, ...extra };
}

/** Waits until the page's main heading (h1) says name. */
export async function expectHeading(page, name) {
  const h1 = page.getByRole('heading', { level: 1, name: typeof name === 'string' ? fr(name, { exact: true }) : name });
  await h1.waitFor({ state: 'visible', timeout: 10_000 }).catch(async (err) => {
    const actual = await page.locator('h1').allTextContents().catch(() => []);
    throw new Error(`expected the page heading ${name} at ${page.url()}, found ${JSON.stringify(actual)}\n${err.message}`);
  });
}

/** Asserts the page's path (without query or fragment). */
export function expectPath(page, path) {
  const actual = new URL(page.url()).pathname;
  if (path instanceof RegExp) assert.match(actual, path, `page ${page.url()}`);
  else assert.equal(actual, path, `page ${page.url()}`);
}

/** Clicks the button named name and waits for the next page to load. */
export async function press(page, name) {
  const button = page.getByRole('button', { name: typeof name === 'string' ? fr(name, { exact: true }) : name });
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

/** Runs the hook (axe, screenshots) on the page as it is now. */
async function seen(opts, label, page) {
  if (opts.onPage) await opts.onPage(label, page);
}

/** Opens the fieldset (role group) whose legend is name. */
export function group(page, name) {
  return page.getByRole('group', { name: typeof name === 'string' ? fr(name) : name });
}

/** The form control labelled text (the whole label when exact). */
export function field(scope, text, exact = false) {
  return scope.getByLabel(fr(text, { exact }));
}

/** Follows the link named name and waits for the next page. */
export async function follow(page, name) {
  const link = page.getByRole('link', { name: typeof name === 'string' ? fr(name, { exact: true }) : name });
  await Promise.all([page.waitForEvent('load'), link.click()]);
}

/**
 * From the home page to the draft code page: "Commencer", the four
 * eligibility questions answered for a theft by an unknown author.
 * Returns the draft code shown.
 */
export async function startDraft(page, base, opts = {}) {
  await page.goto(base + '/');
  await expectHeading(page, 'Vos démarches de police en ligne');
  await seen(opts, 'accueil', page);
  await follow(page, 'Commencer');
  expectPath(page, '/preplainte');
  await expectHeading(page, 'Faire une pré-plainte en ligne');
  await seen(opts, 'eligibilite', page);

  await field(group(page, 'Êtes-vous en danger'), 'Non', true).check();
  await field(group(page, 'Avez-vous subi des violences'), 'Non', true).check();
  await field(group(page, "Connaissez-vous l'auteur"), 'Non', true).check();
  await field(group(page, 'De quoi êtes-vous victime'), 'Vol', true).check();
  await press(page, 'Continuer');

  expectPath(page, '/preplainte/code');
  await expectHeading(page, 'Votre pré-plainte est commencée');
  const code = (await page.locator('.code-panel .code').textContent()).trim();
  assert.match(code, CODE_RE, 'the draft code is shown, grouped in fours');
  await seen(opts, 'code-de-reprise', page);
  await follow(page, 'Continuer');
  expectPath(page, '/preplainte/identite');
  return code;
}

/** Step 1: identity and contact. */
export async function fillIdentity(page, opts = {}) {
  await expectHeading(page, 'Votre identité');
  await seen(opts, 'identite', page);
  await field(group(page, 'Civilité'), 'Madame', true).check();
  await field(page, 'Nom', true).fill(CITIZEN.lastName);
  await field(page, 'Prénoms').fill(CITIZEN.firstName);
  await field(page, 'Date de naissance').fill(CITIZEN.birthDate);
  await field(page, 'Lieu de naissance').fill(CITIZEN.birthPlace);
  await field(page, 'Adresse électronique').fill(CITIZEN.email);
  await field(page, 'Téléphone').fill(CITIZEN.phone);
  await field(page, 'Numéro et voie').fill(CITIZEN.address);
  await field(page, 'Code postal').fill(CITIZEN.postcode);
  await field(page, 'Commune').fill(CITIZEN.city);
  await press(page, 'Enregistrer et continuer');
  expectPath(page, '/preplainte/faits');
}

/** Step 2: the facts. */
export async function fillFacts(page, opts = {}) {
  await expectHeading(page, 'Les faits');
  await seen(opts, 'faits', page);
  await field(page, 'Date et heure des faits').fill(factsFrom());
  await field(page, 'Adresse ou lieu').fill(CITIZEN.placeAddress);
  await field(page, 'Code postal').fill(CITIZEN.placePostcode);
  await field(page, 'Commune').fill(CITIZEN.placeCity);
  await field(page, 'Description des faits').fill(CITIZEN.description);
  await press(page, 'Enregistrer et continuer');
  expectPath(page, '/preplainte/objets');
}

/** Step 3: one stolen phone. */
export async function fillItems(page, opts = {}) {
  await expectHeading(page, 'Objets volés ou abîmés');
  await seen(opts, 'objets', page);
  const row = group(page, 'Objet 1');
  await field(row, "Type d'objet").selectOption({ label: CITIZEN.item.kind });
  await field(row, 'Description').fill(CITIZEN.item.description);
  await field(row, 'Valeur estimée').fill(CITIZEN.item.value);
  await field(row, 'Numéro de série ou IMEI').fill(CITIZEN.item.serial);
  await press(page, 'Enregistrer et continuer');
  expectPath(page, '/preplainte/preuves');
}

/** Step 4: evidence; uploads a real PDF when opts.upload. */
export async function evidenceStep(page, opts = {}) {
  await expectHeading(page, 'Documents');
  await seen(opts, 'preuves', page);
  if (opts.upload) {
    await field(page, 'Ajouter un fichier').setInputFiles({ name: 'facture-telephone.pdf', mimeType: 'application/pdf', buffer: SMALL_PDF });
    await press(page, 'Envoyer ce fichier');
    expectPath(page, '/preplainte/preuves');
    await page.getByText(fr('Le fichier a été ajouté.')).waitFor();
    const files = await page.locator('.file-list .file-name').allTextContents();
    assert.deepEqual(files, ['facture-telephone.pdf'], 'the uploaded file is listed');
  }
  await press(page, 'Enregistrer et continuer');
  expectPath(page, '/preplainte/commissariat');
}

/** Step 5: a station near the postcode of the facts, then its first free slot. */
export async function chooseStation(page, opts = {}) {
  await expectHeading(page, 'Choisissez votre rendez-vous');
  assert.equal(await field(page, 'Code postal ou commune').inputValue(), CITIZEN.placePostcode, 'the search starts from the place of the facts');
  await seen(opts, 'commissariat', page);
  const units = group(page, 'Lieu du rendez-vous');
  // No locator.evaluate here: it never returns in a JavaScript-disabled context.
  assert.match(await units.locator('label').first().textContent(), CITIZEN.unit, 'the nearest unit is listed first');
  await units.getByRole('radio', { name: CITIZEN.unit }).check();
  await press(page, 'Voir les créneaux de ce lieu');
  expectPath(page, '/preplainte/commissariat');
  await page.getByRole('heading', { name: fr('Créneaux libres') }).waitFor();
  await seen(opts, 'creneaux', page);
  const slot = group(page, 'Choisissez un créneau').getByRole('radio').first();
  const slotTime = (await page.locator(`label[for="${await slot.getAttribute('id')}"]`).textContent()).trim();
  await slot.check();
  await press(page, 'Enregistrer et continuer');
  expectPath(page, '/preplainte/recapitulatif');
  return slotTime;
}

/** Step 6: the review shows what was typed; consent, then submission. */
export async function reviewAndSubmit(page, opts = {}) {
  await expectHeading(page, 'Vérifiez votre pré-plainte');
  const main = page.locator('main');
  const text = await main.innerText();
  for (const typed of [CITIZEN.firstName + ' ' + CITIZEN.lastName, CITIZEN.email, CITIZEN.placeAddress, CITIZEN.item.description]) {
    assert.ok(text.includes(typed), `the review shows ${JSON.stringify(typed)}`);
  }
  assert.match(text, /Lyon 3e/, 'the review shows the chosen station');
  await seen(opts, 'recapitulatif', page);
  await field(page, 'Je certifie que les informations données sont exactes').check();
  await press(page, 'Envoyer ma pré-plainte');
}

/**
 * Reads the confirmation page: reference, tracking code shown once, the
 * appointment. Returns { ref, code }.
 */
export async function readConfirmation(page, opts = {}) {
  await expectHeading(page, 'Votre pré-plainte est envoyée');
  const ref = (await page.locator('.ref').first().textContent()).trim();
  assert.match(ref, REF_RE, 'the reference has the form PP-YYYY-XXXX-XXXX');
  const codeSection = page.getByRole('region', { name: fr('Votre code de suivi') });
  const code = (await codeSection.locator('.code').textContent()).trim();
  assert.match(code, CODE_RE, 'the tracking code is shown, grouped in fours');
  assert.match(await codeSection.innerText(), fr('il ne sera plus jamais affiché'), 'the citizen is told the code is shown once');
  const appt = await page.getByRole('region', { name: fr('Votre rendez-vous') }).innerText();
  assert.match(appt, CITIZEN.unit, 'the confirmation shows the appointment place');
  await seen(opts, 'confirmation', page);
  return { ref, code };
}

/** The whole journey, from the home page to the confirmation. */
export async function fileComplaint(page, base, opts = {}) {
  const draftCode = await startDraft(page, base, opts);
  await fillIdentity(page, opts);
  await fillFacts(page, opts);
  await fillItems(page, opts);
  await evidenceStep(page, opts);
  const slot = await chooseStation(page, opts);
  await reviewAndSubmit(page, opts);
  const { ref, code } = await readConfirmation(page, opts);
  return { draftCode, ref, code, slot };
}

/** Opens /suivi and submits a reference and code. */
export async function track(page, base, ref, code) {
  await page.goto(base + '/suivi');
  await expectHeading(page, 'Suivre votre dossier');
  await field(page, 'Référence du dossier').fill(ref);
  await field(page, 'Code de suivi').fill(code);
  await press(page, 'Consulter mon dossier');
}

/** A different code of the same shape: the last symbol changed. */
export function wrongCode(code) {
  const last = code.at(-1);
  return code.slice(0, -1) + (last === 'Z' ? 'Y' : 'Z');
}
