// A visitor from abroad files on a phone (390×844, touch), in French and in
// English: a German home address with its own postcode, a theft on a train
// with no postcode for the place, a car whose plate is typed the usual way
// ("ab 123 cd", shown AB-123-CD) after an empty plate passed; the station
// step gives its hours in the page's language; axe-core finds nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AxeAudit } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { contextOptions, expectHeading, expectPath, factsFrom, field, follow, fr, group, press } from '../lib/journey.js';
import { sidewaysScroll } from '../lib/phone.js';

const support = await browserSupport();

/** What the visitor reads and types, in each language. */
const LANGS = {
  'fr-FR': {
    emergency: 'Êtes-vous en danger',
    violence: 'Avez-vous subi des violences',
    author: "Connaissez-vous l'auteur",
    category: 'De quoi êtes-vous victime',
    theft: 'Vol',
    no: 'Non',
    next: 'Continuer',
    started: 'Votre pré-plainte est commencée',
    identity: 'Votre identité',
    lastName: 'Nom',
    firstName: 'Prénoms',
    birthDate: 'Date de naissance',
    country: 'Pays',
    germany: 'Allemagne',
    address: 'Numéro et voie',
    postcode: 'Code postal',
    city: 'Commune',
    save: 'Enregistrer et continuer',
    facts: 'Les faits',
    from: 'Date et heure des faits',
    elsewhere: 'Sans adresse précise',
    placeDetails: 'Description du lieu',
    placeNear: 'Ville, département ou pays le plus proche',
    description: 'Description des faits',
    items: 'Objets volés ou abîmés',
    row: 'Objet 1',
    kind: "Type d'objet",
    vehicle: 'Véhicule',
    itemDescription: 'Description',
    plate: "Plaque d'immatriculation",
    plateError: 'Ce champ est obligatoire',
    documents: 'Documents',
    station: 'Choisissez votre rendez-vous',
    q: 'Code postal ou commune',
    units: 'Lieu du rendez-vous',
    showSlots: 'Voir les créneaux de ce lieu',
    slots: 'Choisissez un créneau',
    hours: ['Accueil 24 h/24, 7 j/7', 'Rendez-vous de pré-plainte : du lundi au vendredi, 9 h – 12 h, 14 h – 17 h 30'],
    otherHours: /Open 24\/7|Monday/,
    review: 'Vérifiez votre pré-plainte',
    consent: 'Je certifie que les informations données sont exactes',
    submit: 'Envoyer ma pré-plainte',
    sent: 'Votre pré-plainte est envoyée',
  },
  'en-GB': {
    emergency: 'Are you in danger',
    violence: 'Were you hurt',
    author: 'Do you know who did it',
    category: 'What happened to you',
    theft: 'Theft',
    no: 'No',
    next: 'Continue',
    started: 'Your pre-complaint has started',
    identity: 'About you',
    lastName: 'Last name',
    firstName: 'First names',
    birthDate: 'Date of birth',
    country: 'Country',
    germany: 'Germany',
    address: 'Street address',
    postcode: 'Postcode',
    city: 'Town or city',
    save: 'Save and continue',
    facts: 'What happened',
    from: 'Date and time',
    elsewhere: 'No precise address',
    placeDetails: 'Description of the place',
    placeNear: 'Nearest town, département or country',
    description: 'Description of what happened',
    items: 'Stolen or damaged items',
    row: 'Item 1',
    kind: 'Kind of item',
    vehicle: 'Vehicle',
    itemDescription: 'Description',
    plate: 'Registration plate',
    plateError: 'This information is required',
    documents: 'Documents',
    station: 'Choose your appointment',
    q: 'Postcode or town',
    units: 'Place of the appointment',
    showSlots: 'See the times at this place',
    slots: 'Choose a time',
    hours: ['Open 24/7', 'Pre-complaint appointments: Monday–Friday 9 am–12 pm, 2 pm–5:30 pm'],
    otherHours: /Accueil|lundi|24 h\/24/,
    review: 'Check your pre-complaint',
    consent: 'I confirm that the information given is true',
    submit: 'Send my pre-complaint',
    sent: 'Your pre-complaint has been sent',
  },
};

/** A phone in the visitor's language. */
function phone(locale) {
  return contextOptions({ locale, viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
}

describe('a visitor from abroad files on a phone', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  for (const [locale, L] of Object.entries(LANGS)) {
    test(`a German resident robbed on a train files to the end (${locale}, 390×844, touch)`, async () => {
      const audit = new AxeAudit();
      await env.withPage(phone(locale), async (page) => {
        await page.goto(env.url + '/preplainte');
        await field(group(page, L.emergency), L.no, true).check();
        await field(group(page, L.violence), L.no, true).check();
        await field(group(page, L.author), L.no, true).check();
        await field(group(page, L.category), L.theft, true).check();
        await press(page, L.next);
        await expectHeading(page, L.started);
        await follow(page, L.next);

        // A home abroad: France is the default, Germany chosen; a German
        // postcode is accepted.
        await expectHeading(page, L.identity);
        const country = field(page, L.country, true);
        assert.equal(await country.inputValue(), 'FR', 'France is chosen by default');
        await audit.check(page, `identite-${locale}`);
        await field(page, L.lastName, true).fill('Müller');
        await field(page, L.firstName).fill('Jonas');
        await field(page, L.birthDate).fill('1990-05-17');
        await country.selectOption({ label: L.germany });
        await field(page, L.address).fill('Hauptstraße 5');
        await field(page, L.postcode, true).fill('80331');
        await field(page, L.city, true).fill('München');
        await press(page, L.save);
        expectPath(page, '/preplainte/faits');

        // On a train: no postcode asked once "no precise address" is chosen.
        await expectHeading(page, L.facts);
        await field(page, L.from).fill(factsFrom());
        await page.getByRole('radio', { name: fr(L.elsewhere) }).check();
        assert.equal(await field(page, L.postcode, true).isVisible(), false, 'the postcode of an address is put away');
        await field(page, L.placeDetails).fill('TGV 6603 Paris–Marseille, voiture 12');
        await field(page, L.placeNear).fill('Lyon');
        await field(page, L.description).fill("Mon sac a été volé pendant que je dormais dans le train, entre Paris et Lyon.");
        await audit.check(page, `faits-train-${locale}`);
        await press(page, L.save);
        expectPath(page, '/preplainte/objets');

        // A car with no plate given: optional, so it passes.
        await expectHeading(page, L.items);
        const row = group(page, L.row);
        await field(row, L.kind).selectOption({ label: L.vehicle });
        await field(row, L.itemDescription, true).fill('Volkswagen Golf grise');
        await press(page, L.save);
        expectPath(page, '/preplainte/preuves');
        assert.doesNotMatch(await page.locator('main').innerText(), fr(L.plateError), 'no field is said required');

        // Back to type the plate the usual way.
        await page.goto(env.url + '/preplainte/objets');
        await field(group(page, L.row), L.plate).fill('ab 123 cd');
        await audit.check(page, `objets-${locale}`);
        await press(page, L.save);
        expectPath(page, '/preplainte/preuves');
        await expectHeading(page, L.documents);
        await press(page, L.save);

        // Stations near the town given, with hours in the page's language.
        expectPath(page, '/preplainte/commissariat');
        await expectHeading(page, L.station);
        assert.equal(await field(page, L.q).inputValue(), 'Lyon', 'the search starts from the nearest town given');
        const units = group(page, L.units);
        const first = units.locator('.unit-option').first();
        const text = await first.innerText();
        assert.match(text, /Lyon/, 'a station in Lyon comes first');
        for (const h of L.hours) assert.match(text, fr(h), `the station's hours read ${h}`);
        assert.doesNotMatch(await page.locator('main').innerText(), L.otherHours, 'no hours in the other language');
        await first.getByRole('radio').check();
        await press(page, L.showSlots);
        await group(page, L.slots).getByRole('radio').first().check();
        await audit.check(page, `commissariat-${locale}`);
        await press(page, L.save);

        // The review shows everything as given, the plate in its canonical form.
        expectPath(page, '/preplainte/recapitulatif');
        await expectHeading(page, L.review);
        const review = await page.locator('main').innerText();
        for (const shown of ['Hauptstraße 5', '80331 München', L.germany, 'TGV 6603 Paris–Marseille, voiture 12', 'AB-123-CD']) {
          assert.ok(review.includes(shown), `the review shows ${shown}`);
        }
        assert.ok(!review.includes('ab 123 cd'), 'the plate is not shown as typed');
        await audit.check(page, `recapitulatif-${locale}`);
        await field(page, L.consent).check();
        await press(page, L.submit);
        await expectHeading(page, L.sent);
        await audit.check(page, `confirmation-${locale}`);

        // Nothing runs past the right edge of the phone.
        const side = await sidewaysScroll(page);
        assert.ok(side.scroll <= side.view, `the confirmation is ${side.scroll} px wide in a ${side.view} px layout viewport`);
        assert.deepEqual(side.wide, [], 'elements past the right edge of the confirmation');
      });
      assert.equal(audit.count(), 0, `axe-core violations:\n${audit.report()}`);
    });
  }
});
