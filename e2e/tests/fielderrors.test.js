// Errors that say what to do, on a phone (390×844, touch), in French and
// English: each page of the pre-complaint, the resume and the tracking
// forms sent empty name, field by field, what to type or choose there
// (never "this field is required"); every link of the error summary leads
// to an element of the page, which takes the focus. Then the kind of
// offence is changed from the review: the items step says what changed
// and what the new kind asks, and the journey comes back to the review.
// axe-core finds nothing on any of these pages.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { CITIZEN, expectPath, factsFrom } from '../lib/journey.js';

const support = await browserSupport();

const PHONE = { width: 390, height: 844 };

const WORDS = {
  fr: {
    locale: 'fr-FR',
    generic: ['Ce champ est obligatoire', 'Choisissez une réponse', "Cette valeur n'est pas valable"],
    resume: 'Reprendre',
    track: 'Consulter mon dossier',
    next: 'Continuer',
    cont: 'Enregistrer et continuer',
    submit: 'Envoyer ma pré-plainte',
    showSlots: 'Voir les créneaux de ce lieu',
    addItem: 'Ajouter un objet',
    toReview: 'Enregistrer et revenir au récapitulatif',
    changeKind: 'Modifier — Nature des faits',
    kindTitle: 'Changer la nature des faits',
    kindSave: 'Enregistrer ce changement',
    vehicleTheft: 'Vol de véhicule',
    vehicle: 'Véhicule',
    changed: 'La nature des faits est changée : « Vol » devient « Vol de véhicule ».',
    kept: "Rien de ce que vous aviez saisi n'a été effacé.",
    vehicleNeeded: 'Pour un vol de véhicule, indiquez le véhicule parmi les objets.',
    messages: {
      resume: ['Indiquez votre code de reprise'],
      track: ['Indiquez la référence de votre dossier', 'Indiquez votre code de suivi'],
      eligibility: [
        'Indiquez si vous êtes en danger',
        'Indiquez si vous avez subi des violences',
        "Indiquez si vous connaissez l'auteur des faits",
        'Choisissez ce dont vous êtes victime',
      ],
      identity: [
        'Indiquez votre nom de famille',
        'Indiquez votre prénom',
        'Indiquez votre date de naissance',
        'Indiquez le numéro et la voie de votre adresse',
        'Indiquez le code postal de votre domicile',
        'Indiquez la commune de votre domicile',
      ],
      facts: [
        "Indiquez la date et l'heure des faits",
        'Indiquez le code postal du lieu des faits',
        'Indiquez la commune où les faits ont eu lieu',
        "Racontez ce qui s'est passé",
      ],
      items: ['Choisissez le type de cet objet', 'Décrivez cet objet'],
      unit: ['Choisissez le lieu du rendez-vous'],
      slot: ["Choisissez l'heure du rendez-vous"],
      review: ['Cochez la case pour donner votre accord'],
    },
  },
  en: {
    locale: 'en-GB',
    generic: ['This information is required', 'Select an answer', 'This value is not valid'],
    resume: 'Resume',
    track: 'Open my case',
    next: 'Continue',
    cont: 'Save and continue',
    submit: 'Send my pre-complaint',
    showSlots: 'See the times at this place',
    addItem: 'Add an item',
    toReview: 'Save and return to the review',
    changeKind: 'Change — Kind of offence',
    kindTitle: 'Change the kind of offence',
    kindSave: 'Save this change',
    vehicleTheft: 'Vehicle theft',
    vehicle: 'Vehicle',
    changed: 'The kind of offence has changed: “Theft” is now “Vehicle theft”.',
    kept: 'Nothing you typed has been deleted.',
    vehicleNeeded: 'For a vehicle theft, list the vehicle among the items.',
    messages: {
      resume: ['Enter your resume code'],
      track: ['Enter your case reference', 'Enter your tracking code'],
      eligibility: [
        'Say whether you are in danger',
        'Say whether you were hurt, threatened or attacked',
        'Say whether you know who did it',
        'Choose what happened to you',
      ],
      identity: [
        'Enter your last name',
        'Enter your first name',
        'Enter your date of birth',
        'Enter the number and street of your address',
        'Enter the postcode of your home',
        'Enter the town or city of your home',
      ],
      facts: [
        'Enter the date and time of the facts',
        'Enter the postcode of the place of the facts',
        'Enter the town or city where it happened',
        'Tell what happened',
      ],
      items: ['Choose the kind of this item', 'Describe this item'],
      unit: ['Choose the place of the appointment'],
      slot: ['Choose the time of the appointment'],
      review: ['Tick the box to give your agreement'],
    },
  },
};

/** A pattern for UI text as a person reads it: any apostrophe, any space. */
function words(text, { exact = false } = {}) {
  const src = text
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/['’]/g, "['’]")
    .replace(/ +/g, '[\\s\\u00a0\\u202f]*');
  return new RegExp(exact ? `^\\s*${src}\\s*$` : src);
}

/** Clicks the control and waits for the page it leads to. */
async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

function button(page, name) {
  return page.getByRole('button', { name: words(name, { exact: true }) });
}

async function clean(page, label) {
  const v = await axeViolations(page);
  assert.equal(v.length, 0, `axe on ${label}:\n${formatViolations(label, v)}`);
}

/**
 * Checks the page's errors: each expected message is in the summary and
 * beside a field; no generic message anywhere; each summary link leads to
 * one element of the page, which takes the focus; axe finds nothing.
 */
async function checkErrors(page, w, label, expected) {
  const summary = page.locator('.error-summary');
  await summary.waitFor({ state: 'visible' });
  const summaryText = await summary.innerText();
  for (const m of expected) {
    assert.match(summaryText, words(m), `${label}: the summary says “${m}”`);
    assert.ok((await page.locator('.error-message', { hasText: words(m) }).count()) >= 1, `${label}: “${m}” is beside its field`);
  }
  const main = await page.locator('main').innerText();
  for (const g of w.generic) {
    assert.doesNotMatch(main, words(g), `${label}: no generic “${g}”`);
  }
  const links = summary.getByRole('link');
  const n = await links.count();
  assert.ok(n >= expected.length, `${label}: ${n} summary links for ${expected.length} messages`);
  for (let i = 0; i < n; i++) {
    const href = await links.nth(i).getAttribute('href');
    assert.match(href, /^#./, `${label}: summary link ${i} is a link on the page`);
    const id = href.slice(1);
    assert.equal(await page.locator(`[id="${id}"]`).count(), 1, `${label}: the element #${id} of summary link ${i} exists`);
    await links.nth(i).click();
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    assert.equal(focused, id, `${label}: summary link ${i} puts the focus on #${id}`);
  }
  await clean(page, label);
}

describe('errors that say what to do, on a phone', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  for (const lang of ['fr', 'en']) {
    const w = WORDS[lang];
    const m = w.messages;
    test(`each form sent empty says, field by field, what to do (${lang})`, async () => {
      const ctx = await env.context({ locale: w.locale, timezoneId: 'Europe/Paris', viewport: PHONE, hasTouch: true, isMobile: true });
      try {
        const page = await ctx.newPage();
        const fill = async (name, value) => page.locator(`[name="${name}"]`).fill(value);

        await page.goto(env.url + '/preplainte/reprendre');
        await go(page, button(page, w.resume));
        await checkErrors(page, w, `resume (${lang})`, m.resume);

        await page.goto(env.url + '/suivi');
        await go(page, button(page, w.track));
        await checkErrors(page, w, `tracking (${lang})`, m.track);

        await page.goto(env.url + '/preplainte');
        await go(page, button(page, w.next));
        await checkErrors(page, w, `eligibility (${lang})`, m.eligibility);
        for (const [name, value] of [['emergency', 'no'], ['violence', 'no'], ['author_known', 'no'], ['category', 'theft']]) {
          await page.locator(`input[name="${name}"][value="${value}"]`).check();
        }
        await go(page, button(page, w.next));
        expectPath(page, '/preplainte/code');

        await page.goto(env.url + '/preplainte/identite');
        await go(page, button(page, w.cont));
        await checkErrors(page, w, `identity (${lang})`, m.identity);
        await fill('last_name', CITIZEN.lastName);
        await fill('first_name', CITIZEN.firstName);
        await fill('birth_date', CITIZEN.birthDate);
        await fill('address', CITIZEN.address);
        await fill('postcode', CITIZEN.postcode);
        await fill('city', CITIZEN.city);
        await go(page, button(page, w.cont));
        expectPath(page, '/preplainte/faits');

        await go(page, button(page, w.cont));
        await checkErrors(page, w, `facts (${lang})`, m.facts);
        await fill('facts_from', factsFrom());
        await fill('place_postcode', CITIZEN.placePostcode);
        await fill('place_city', CITIZEN.placeCity);
        await fill('description', CITIZEN.description);
        await go(page, button(page, w.cont));
        expectPath(page, '/preplainte/objets');

        // A row begun, its value only: its kind and description asked for.
        await fill('items.0.value', CITIZEN.item.value);
        await go(page, button(page, w.cont));
        await checkErrors(page, w, `items (${lang})`, m.items);
        assert.equal(await page.locator('[name="items.0.value"]').inputValue(), CITIZEN.item.value, 'the value typed is kept');
        await page.locator('[name="items.0.kind"]').selectOption('phone');
        await fill('items.0.description', CITIZEN.item.description);
        await go(page, button(page, w.cont));
        expectPath(page, '/preplainte/preuves');
        await go(page, button(page, w.cont));
        expectPath(page, '/preplainte/commissariat');

        // No place chosen: the place is asked for, not a time.
        await go(page, button(page, w.cont));
        await checkErrors(page, w, `station, no place (${lang})`, m.unit);
        assert.equal(await page.locator('#f-slot_id-error').count(), 0, 'no time is asked for while none is on screen');
        await page.getByRole('radio', { name: CITIZEN.unit }).check();
        await go(page, button(page, w.showSlots));
        await go(page, button(page, w.cont));
        await checkErrors(page, w, `station, no time (${lang})`, m.slot);
        await page.locator('input[name="slot_id"]').first().check();
        await go(page, button(page, w.cont));
        expectPath(page, '/preplainte/recapitulatif');

        await go(page, button(page, w.submit));
        await checkErrors(page, w, `review (${lang})`, m.review);

        // The kind of offence, changed from the review.
        await go(page, page.getByRole('link', { name: words(w.changeKind) }));
        expectPath(page, '/preplainte/infraction');
        await page.getByRole('heading', { level: 1, name: words(w.kindTitle) }).waitFor();
        await clean(page, `kind (${lang})`);
        await page.getByRole('radio', { name: words(w.vehicleTheft, { exact: true }) }).check();
        await go(page, button(page, w.kindSave));
        expectPath(page, '/preplainte/objets');
        const notice = page.getByRole('status').filter({ hasText: words(w.changed) });
        assert.match(await notice.innerText(), words(w.kept), 'the change is said, and that nothing was deleted');
        await checkErrors(page, w, `items after the change (${lang})`, [w.vehicleNeeded]);
        assert.equal(await page.locator('[name="items.0.description"]').inputValue(), CITIZEN.item.description, 'the phone typed is kept');
        await go(page, button(page, w.addItem));
        await page.locator('[name="items.1.kind"]').selectOption('vehicle');
        await fill('items.1.description', 'Renault Clio grise');
        const back = button(page, w.toReview);
        await back.scrollIntoViewIfNeeded();
        await go(page, back);
        expectPath(page, '/preplainte/recapitulatif');
        const review = await page.locator('main').innerText();
        assert.match(review, words(w.vehicleTheft), 'the review shows the new kind');
        assert.ok(review.includes(CITIZEN.item.description) && review.includes('Renault Clio grise'), 'the review lists both items');
        await clean(page, `review after the change (${lang})`);
      } finally {
        await ctx.close();
      }
    });
  }
});
