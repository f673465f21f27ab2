// Keyboard only: a citizen who cannot use a mouse starts a pre-complaint
// and completes its first steps with Tab, Space and Enter (and the arrow
// keys inside a group of radio buttons, as browsers define it). The skip
// link comes first and every focused element shows where the focus is.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { browserSupport, suite } from '../lib/harness.js';
import { CITIZEN, CODE_RE, contextOptions, expectHeading, expectPath, factsFrom, fr } from '../lib/journey.js';

const support = await browserSupport();

/** Describes the focused element, and whether its focus can be seen. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const shows = (node, pseudo) => {
      const cs = getComputedStyle(node, pseudo);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      return outline || shadow;
    };
    // A styled radio or checkbox may draw its focus ring on its label.
    const labels = el.labels ? [...el.labels] : [];
    const visibleFocus =
      el.matches(':focus-visible') &&
      (shows(el) || labels.some((l) => shows(l) || shows(l, '::before') || shows(l, '::after')));
    // Where the element is in the document, to tell one stop from another.
    const path = [];
    for (let n = el; n && n.parentElement; n = n.parentElement) {
      path.unshift([...n.parentElement.children].indexOf(n));
    }
    const r = el.getBoundingClientRect();
    const name = (
      el.getAttribute('aria-label') ||
      (labels[0] && labels[0].innerText) ||
      el.innerText ||
      el.value ||
      ''
    ).trim();
    return {
      key: path.join('.'),
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute('type') || '',
      id: el.id,
      name,
      inputName: el.getAttribute('name') || '',
      text: (el.innerText || '').trim(),
      visibleFocus,
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    };
  });
}

/**
 * How this browser's date fields take their parts: day or month first, and
 * 24-hour or AM/PM times. It follows the browser's own language (Debian's
 * package without chromium-l10n is in English); found on a scratch page.
 */
async function dateFieldStyle(ctx) {
  const scratch = await ctx.newPage();
  const typed = async (type, iso, style) => {
    await scratch.setContent(`<input type="${type}" aria-label="probe">`);
    await scratch.getByLabel('probe').focus();
    await typeDate(scratch, iso, style);
    return scratch.getByLabel('probe').inputValue();
  };
  try {
    // 01/02/1990 typed day first reads 1 February.
    const d = await typed('date', '1990-02-01', { order: 'dmy' });
    const order = d === '1990-02-01' ? 'dmy' : d === '1990-01-02' ? 'mdy' : '';
    if (!order) throw new Error(`cannot tell this browser's date field order (got ${JSON.stringify(d)})`);
    for (const ampm of [false, true]) {
      const style = { order, ampm };
      if ((await typed('datetime-local', '1990-01-02T14:30', style)) === '1990-01-02T14:30') return style;
    }
    throw new Error("cannot type a time in this browser's datetime fields");
  } finally {
    await scratch.close();
  }
}

/**
 * Types a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM) into the
 * focused field, part by part as a person does: digits, the parts advance
 * by themselves, and the right arrow leaves the year (it takes up to six
 * digits) for the hour.
 */
async function typeDate(page, iso, { order, ampm }) {
  const [day, time] = iso.split('T');
  const [y, m, d] = day.split('-');
  await page.keyboard.type(order === 'dmy' ? `${d}${m}${y}` : `${m}${d}${y}`);
  if (!time) return;
  await page.keyboard.press('ArrowRight');
  const [hh, mm] = time.split(':').map(Number);
  const pad = (n) => String(n).padStart(2, '0');
  await page.keyboard.type(ampm ? `${pad(hh % 12 || 12)}${pad(mm)}` : `${pad(hh)}${pad(mm)}`);
  if (ampm) {
    await page.keyboard.press('ArrowRight');
    await page.keyboard.type(hh < 12 ? 'A' : 'P');
  }
}

describe('keyboard only', { skip: support.skip }, () => {
  const env = suite({ before, after }, support);

  test('the first steps are completed with the keyboard alone, focus always visible', async () => {
    const ctx = await env.context(contextOptions());
    try {
      const dates = await dateFieldStyle(ctx);
      const page = await ctx.newPage();
      const visited = [];

      // Tab until the focused element satisfies match; every stop on the way
      // must show its focus.
      // A stop inside the same element (the calendar button of a date
      // field, drawn by the browser itself) is not checked: the browser's
      // own focus ring there is out of the page's reach.
      let prev = '';
      const tabTo = async (what, match, max = 60) => {
        for (let i = 0; i < max; i++) {
          await page.keyboard.press('Tab');
          const f = await focused(page);
          assert.ok(f, `Tab ${i + 1} towards ${what}: focus left the page`);
          const inner = f.key === prev;
          prev = f.key;
          visited.push(`${f.tag}${f.type ? '[' + f.type + ']' : ''} "${f.name.slice(0, 40)}"`);
          if (!inner) assert.ok(f.visibleFocus, `focus is not visible on ${visited.at(-1)} (page ${page.url()})`);
          assert.ok(f.onScreen, `focused ${visited.at(-1)} is scrolled out of view`);
          if (match(f)) return f;
        }
        assert.fail(`${what} not reached after ${max} presses of Tab; visited:\n  ${visited.slice(-max).join('\n  ')}`);
      };
      const enter = async () => {
        await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      };
      const field = (inputName) => (f) => f.inputName === inputName;
      const typeInto = async (inputName, text) => {
        await tabTo(inputName, field(inputName));
        await page.keyboard.type(text);
      };

      // Home: the skip link is the first stop, and it works.
      await page.goto(env.url + '/');
      await page.keyboard.press('Tab');
      const skip = await focused(page);
      assert.equal(skip?.tag, 'a', 'the first Tab stop is a link');
      assert.equal(skip.text, 'Aller au contenu', 'the first Tab stop is the skip link');
      assert.ok(skip.visibleFocus && skip.onScreen, 'the skip link shows when focused');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'contenu', 'the skip link moves focus to the content');

      // From the content, the next stops are in the content, up to "Commencer".
      await tabTo('Commencer', (f) => f.tag === 'a' && f.text === 'Commencer');
      await enter();
      expectPath(page, '/preplainte');
      await expectHeading(page, 'Faire une pré-plainte en ligne');

      // Eligibility: four groups of radios. Tab enters a group on its first
      // choice ("Oui"); the Down arrow moves to "Non" and selects it.
      for (const q of ['emergency', 'violence', 'author_known']) {
        await tabTo(q, field(q));
        await page.keyboard.press('ArrowDown');
        assert.equal(await page.locator(`input[name="${q}"]:checked`).getAttribute('value'), 'no', `${q}: "Non" selected`);
      }
      await tabTo('category', field('category'));
      await page.keyboard.press('Space'); // the first category: theft
      assert.equal(await page.locator('input[name="category"]:checked').getAttribute('value'), 'theft');
      await tabTo('the continue button', (f) => f.tag === 'button' && f.text === 'Continuer');
      await enter();

      // The draft code, then on.
      expectPath(page, '/preplainte/code');
      assert.match((await page.locator('.code-panel .code').textContent()).trim(), CODE_RE);
      await tabTo('Continuer', (f) => f.tag === 'a' && f.text === 'Continuer');
      await enter();

      // Identity, typed field after field.
      expectPath(page, '/preplainte/identite');
      await expectHeading(page, 'Votre identité');
      await tabTo('civility', field('civility'));
      await page.keyboard.press('Space'); // Madame
      await typeInto('last_name', CITIZEN.lastName);
      await typeInto('first_name', CITIZEN.firstName);
      await tabTo('birth_date', field('birth_date'));
      await typeDate(page, CITIZEN.birthDate, dates);
      assert.equal(await page.locator('input[name="birth_date"]').inputValue(), CITIZEN.birthDate, 'the date typed with the keyboard');
      await typeInto('address', CITIZEN.address);
      await typeInto('postcode', CITIZEN.postcode);
      await typeInto('city', CITIZEN.city);
      await tabTo('the continue button', (f) => f.tag === 'button' && f.text === 'Enregistrer et continuer');
      await enter();

      // The facts, the same way.
      expectPath(page, '/preplainte/faits');
      await expectHeading(page, 'Les faits');
      await tabTo('facts_from', field('facts_from'));
      await typeDate(page, factsFrom(), dates);
      assert.equal(await page.locator('input[name="facts_from"]').inputValue(), factsFrom(), 'the date and time typed with the keyboard');
      await typeInto('place_postcode', CITIZEN.placePostcode);
      await typeInto('place_city', CITIZEN.placeCity);
      await typeInto('description', CITIZEN.description);
      await tabTo('the continue button', (f) => f.tag === 'button' && f.text === 'Enregistrer et continuer');
      await enter();

      expectPath(page, '/preplainte/objets');
      await expectHeading(page, 'Objets volés ou abîmés');
    } finally {
      await ctx.close();
    }
  });

  test('an error summary takes the focus and its links lead to the fields', async () => {
    const ctx = await env.context(contextOptions());
    try {
      const page = await ctx.newPage();
      await page.goto(env.url + '/preplainte');
      // Send the questions unanswered.
      const button = page.getByRole('button', { name: fr('Continuer', { exact: true }) });
      await button.focus();
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      const f = await focused(page);
      assert.ok(f, 'something has the focus after an error');
      assert.equal(
        await page.evaluate(() => document.activeElement.classList.contains('error-summary')),
        true,
        'the error summary has the focus',
      );
      // First link of the summary: Enter moves to the first question.
      await page.keyboard.press('Tab');
      const link = await focused(page);
      assert.equal(link.tag, 'a');
      assert.ok(link.visibleFocus);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('name')), 'emergency', 'the link focuses the field in error');
    } finally {
      await ctx.close();
    }
  });
});
