// Issue 11, items 7 and 12, on a phone (390×844, touch), in French and
// English: every page of the citizen's journey — home, eligibility, the
// draft code, each step and its error state, the station step with its
// times, the review, the confirmation, the status page with its folded
// parts open, the tracking and resume pages, the agent sign-in — offers
// tap targets of at least 44×44 CSS px (e2e/lib/phone.js says what counts),
// never scrolls sideways, puts the primary button first in a form's
// actions, keeps French punctuation, times and ranges on the line of the
// word before them with narrow no-break spaces (on French pages), and
// axe-core finds nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { axeViolations, formatViolations } from '../lib/axe.js';
import { browserSupport, suite } from '../lib/harness.js';
import { CITIZEN, expectPath, factsFrom } from '../lib/journey.js';
import { PHONE, frenchTypography, openDetails, primaryNotFirst, sidewaysScroll, smallTargets } from '../lib/phone.js';

const support = await browserSupport();

// What a citizen presses, per language.
const WORDS = {
  fr: {
    locale: 'fr-FR',
    next: 'Continuer',
    cont: 'Enregistrer et continuer',
    showSlots: 'Voir les créneaux de ce lieu',
    submit: 'Envoyer ma pré-plainte',
    consent: 'Je certifie',
  },
  en: {
    locale: 'en-GB',
    next: 'Continue',
    cont: 'Save and continue',
    showSlots: 'See the times at this place',
    submit: 'Send my pre-complaint',
    consent: 'I confirm',
  },
};

function words(text) {
  const src = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/['’]/g, "['’]").replace(/ +/g, '[\\s\\u00a0\\u202f\\u2060]+');
  return new RegExp(`^\\s*${src}\\s*$`);
}

async function go(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

describe('the journey on a phone: targets, width, button order, typography', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  for (const lang of ['fr', 'en']) {
    const w = WORDS[lang];
    test(`every page of the citizen's journey, and the agent sign-in (${lang})`, async () => {
      const ctx = await env.context({ locale: w.locale, timezoneId: 'Europe/Paris', ...PHONE });
      const problems = [];
      const inlineSeen = new Set();
      const pages = [];
      try {
        const page = await ctx.newPage();
        const button = (name) => page.getByRole('button', { name: words(name) });

        // Every check on the page as it is now; problems are collected so
        // that one run lists them all.
        const inspect = async (label) => {
          await openDetails(page);
          pages.push(label);
          const at = `${label} (${new URL(page.url()).pathname})`;
          const t = await smallTargets(page);
          assert.ok(t.checked > 5, `${at}: only ${t.checked} targets found — is the page there?`);
          for (const s of t.small) problems.push(`${at}: target ${s.width}×${s.height} px < 44×44: ${s.what} "${s.text}"`);
          for (const u of t.uncovered) problems.push(`${at}: the label does not cover its input, so the target has a dead gap: ${u}`);
          for (const i of t.inline) inlineSeen.add(`${label}: ${i}`);
          const side = await sidewaysScroll(page);
          if (side.scroll > side.view) problems.push(`${at}: the page is ${side.scroll} px wide in a ${side.view} px layout viewport`);
          for (const el of side.wide) problems.push(`${at}: past the right edge: ${el}`);
          for (const p of await primaryNotFirst(page)) problems.push(`${at}: "${p.first}" comes before the primary button "${p.primary}"`);
          if (lang === 'fr') for (const f of await frenchTypography(page)) problems.push(`${at}: typography: ${f}`);
          const v = await axeViolations(page);
          if (v.length) problems.push(`${at}: axe\n${formatViolations(label, v)}`);
        };
        const fill = (name, value) => page.locator(`[name="${name}"]`).fill(value);

        await page.goto(env.url + '/');
        await inspect('home');

        await page.goto(env.url + '/preplainte');
        await go(page, button(w.next));
        await inspect('eligibility, unanswered');
        await page.locator('input[name="emergency"][value="yes"]').check();
        await go(page, button(w.next));
        await inspect('orientation: in danger');

        // Known author: go to a station, with France Victimes' number.
        await page.goto(env.url + '/preplainte');
        for (const [name, value] of [['emergency', 'no'], ['violence', 'no'], ['author_known', 'yes'], ['category', 'theft']]) {
          await page.locator(`input[name="${name}"][value="${value}"]`).check();
        }
        await go(page, button(w.next));
        await inspect('orientation: known author');

        await page.goto(env.url + '/preplainte');
        for (const [name, value] of [['emergency', 'no'], ['violence', 'no'], ['author_known', 'no'], ['category', 'theft']]) {
          await page.locator(`input[name="${name}"][value="${value}"]`).check();
        }
        await inspect('eligibility, answered');
        await go(page, button(w.next));
        expectPath(page, '/preplainte/code');
        await inspect('draft code');

        await page.goto(env.url + '/preplainte/identite');
        await go(page, button(w.cont));
        await inspect('identity, with errors');
        await fill('last_name', CITIZEN.lastName);
        await fill('first_name', CITIZEN.firstName);
        await fill('birth_date', CITIZEN.birthDate);
        await fill('birth_place', CITIZEN.birthPlace);
        await fill('email', CITIZEN.email);
        await fill('phone', CITIZEN.phone);
        await fill('address', CITIZEN.address);
        await fill('postcode', CITIZEN.postcode);
        await fill('city', CITIZEN.city);
        await go(page, button(w.cont));
        expectPath(page, '/preplainte/faits');
        await inspect('facts');
        await fill('facts_from', factsFrom());
        await fill('place_address', CITIZEN.placeAddress);
        await fill('place_postcode', CITIZEN.placePostcode);
        await fill('place_city', CITIZEN.placeCity);
        await fill('description', CITIZEN.description);
        await go(page, button(w.cont));
        expectPath(page, '/preplainte/objets');
        await inspect('items');
        await page.locator('[name="items.0.kind"]').selectOption('phone');
        await fill('items.0.description', CITIZEN.item.description);
        await fill('items.0.value', CITIZEN.item.value);
        await fill('items.0.serial', CITIZEN.item.serial);
        await go(page, button(w.cont));
        expectPath(page, '/preplainte/preuves');
        await inspect('evidence');
        await go(page, button(w.cont));
        expectPath(page, '/preplainte/commissariat');
        await inspect('station');
        await page.getByRole('radio', { name: CITIZEN.unit }).check();
        await go(page, button(w.showSlots));
        await inspect('station, with its times');
        await page.locator('.slot input[name="slot_id"]').first().check();
        await go(page, button(w.cont));
        expectPath(page, '/preplainte/recapitulatif');
        await inspect('review');
        await page.getByRole('checkbox', { name: new RegExp(w.consent) }).check();
        await go(page, button(w.submit));
        expectPath(page, '/preplainte/envoyee');
        await inspect('confirmation');
        const ref = (await page.locator('.ref').first().textContent()).trim();

        await page.goto(`${env.url}/suivi/${ref}`);
        await inspect('status page');
        await page.goto(env.url + '/suivi');
        await inspect('tracking');
        await page.goto(env.url + '/preplainte/reprendre');
        await inspect('resume');
        await page.goto(env.url + '/agent/connexion');
        await inspect('agent sign-in');
      } finally {
        await ctx.close();
      }
      // The links let off as inline, for a reader of the output to judge.
      if (inlineSeen.size) console.log(`links in running text, counted as inline (${lang}):\n  ${[...inlineSeen].join('\n  ')}`);
      assert.equal(pages.length, 18, 'every page was inspected');
      assert.ok(problems.length === 0, `${problems.length} problems on the phone (${lang}):\n${problems.join('\n')}`);
    });
  }
});
