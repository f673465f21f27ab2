// Checks of a page as a phone shows it (issue 11, items 7 and 12): tap
// targets of at least 44×44 CSS px, no sideways scrolling, the primary
// button first in a form's actions, French punctuation held by narrow
// no-break spaces. Each check runs in the page and returns what it finds
// wrong, for a test to list.

/** A phone: 390×844 CSS px, touch, mobile layout. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** WCAG 2.5.5 (Target Size, enhanced): 44 CSS px both ways. */
export const MIN_TARGET = 44;

/**
 * The tap targets of the page smaller than MIN_TARGET, and the links left
 * out as inline. Returns { small: [{ what, text, width, height }], inline:
 * [text], checked: n, uncovered: [...] }.
 *
 * What counts as a target (WCAG 2.5.5: "the region of the display that will
 * accept a pointer action"):
 * - every visible link, button, summary, select, textarea, text-like input
 *   and file input: its border box (getBoundingClientRect), which is where
 *   a tap lands;
 * - a radio or a checkbox: the union of its box and its labels' boxes,
 *   since a tap on the label checks it. The union is a real target only if
 *   no gap lies between the two, so the label's box must contain the
 *   input's (our CSS lays the label over the input); a label that does not
 *   is listed in uncovered.
 * - a box of several lines (a wrapped link) counts by its bounding box
 *   only when it is laid out as a block; an inline link's line boxes are
 *   measured one by one, the smallest deciding.
 *
 * The one exception used is WCAG's "Inline: the target is in a sentence or
 * block of text": a link inside <main> whose computed display is inline,
 * in the middle of a sentence — its paragraph, list item or cell has words
 * before it and after it, three at least — e.g. "Bientôt, <a>un
 * signalement en ligne</a> sera possible ; en attendant…". A link that
 * ends its paragraph ("Vous avez perdu votre code ? <a>Commencer une
 * nouvelle pré-plainte</a>") is an action offered after the text and must
 * be a target. Never inline, whatever their layout: anything in the header,
 * the emergency bar, navigation or the footer; buttons and form controls;
 * tel: and sms: links (a call is an action a victim takes in a hurry).
 * Inline links are returned so that a test can show them.
 */
export async function smallTargets(page) {
  return page.evaluate((min) => {
    const visible = (el) => el.checkVisibility({ visibilityProperty: true }) && el.getClientRects().length > 0;
    const describe = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += '#' + el.id;
      else if (el.classList.length) s += '.' + [...el.classList].join('.');
      if (el.getAttribute('href')) s += `[href="${el.getAttribute('href')}"]`;
      if (el.type && el.tagName === 'INPUT') s += `[type=${el.type}]`;
      return s;
    };
    const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 60);
    const union = (rects) => {
      const r = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
      for (const q of rects) {
        r.left = Math.min(r.left, q.left); r.top = Math.min(r.top, q.top);
        r.right = Math.max(r.right, q.right); r.bottom = Math.max(r.bottom, q.bottom);
      }
      return { ...r, width: r.right - r.left, height: r.bottom - r.top };
    };
    const contains = (outer, inner) => outer.left <= inner.left + 0.5 && outer.top <= inner.top + 0.5 &&
      outer.right >= inner.right - 0.5 && outer.bottom >= inner.bottom - 0.5;
    const words = (s) => s.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length;
    const isInline = (el) => {
      if (el.tagName !== 'A' || !el.closest('main') || el.closest('nav, header, footer, .form-actions')) return false;
      if (/^(tel|sms):/.test(el.getAttribute('href') || '')) return false;
      if (getComputedStyle(el).display !== 'inline') return false;
      const block = el.closest('p, li, dd, td, th');
      if (!block) return false;
      const range = document.createRange();
      range.selectNodeContents(block);
      range.setEndBefore(el);
      const before = range.toString();
      range.selectNodeContents(block);
      range.setStartAfter(el);
      const after = range.toString();
      return words(before) >= 1 && words(after) >= 1 && words(before) + words(after) >= 3;
    };

    const small = [];
    const inline = [];
    const uncovered = [];
    let checked = 0;
    const selector = 'a[href], button, summary, select, textarea, input:not([type=hidden]), [role=button], [role=link]';
    for (const el of document.querySelectorAll(selector)) {
      if (!visible(el) && !(el.tagName === 'INPUT' && visible(el.parentElement))) continue;
      if (el.closest('[hidden], [inert]')) continue;
      if (el.tagName === 'INPUT' && el.disabled) continue;
      if (isInline(el)) {
        inline.push(text(el));
        continue;
      }
      let box;
      if (el.tagName === 'INPUT' && (el.type === 'radio' || el.type === 'checkbox')) {
        const own = el.getBoundingClientRect();
        const labels = [...(el.labels || [])].filter(visible).map((l) => l.getBoundingClientRect());
        box = union([own, ...labels]);
        if (labels.length && !labels.some((l) => contains(l, own))) uncovered.push(`${describe(el)} "${text(el.labels[0])}"`);
        if (!labels.length && (own.width < min || own.height < min)) uncovered.push(`${describe(el)} has no visible label`);
      } else if (getComputedStyle(el).display === 'inline') {
        // An inline element's lines, each a separate target strip.
        const lines = [...el.getClientRects()];
        box = lines.reduce((a, b) => (b.width * b.height < a.width * a.height ? b : a));
      } else {
        box = el.getBoundingClientRect();
      }
      checked++;
      // Sub-pixel layout: 43.99 px is 44 px on screen.
      if (box.width + 0.05 < min || box.height + 0.05 < min) {
        small.push({ what: describe(el), text: text(el.tagName === 'INPUT' && el.labels?.[0] ? el.labels[0] : el), width: Math.round(box.width * 10) / 10, height: Math.round(box.height * 10) / 10 });
      }
    }
    return { small, inline, uncovered, checked };
  }, MIN_TARGET);
}

/**
 * Whether the page itself scrolls sideways: { scroll, view, wide }, where
 * view is the layout viewport's width (documentElement.clientWidth, which
 * the mobile zoom-out leaves at the device's width) and wide lists the
 * elements, or the elements of text, past its right edge, leaving out what
 * lies inside a region that scrolls on its own (a table's .table-wrap,
 * overflow auto).
 */
export async function sidewaysScroll(page) {
  return page.evaluate(() => {
    const view = document.documentElement.clientWidth;
    // Whether what overflows is held by an ancestor that scrolls or clips
    // (from el itself on, for text: a .visually-hidden span clips its own).
    const scrollsInside = (el, self = false) => {
      for (let p = self ? el : el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
      }
      return false;
    };
    const wide = [];
    const add = (el, self = false) => {
      if (scrollsInside(el, self) || wide.some((w) => w.contains(el))) return;
      wide.push(el);
    };
    for (const el of document.body.querySelectorAll('*')) {
      if (el.getBoundingClientRect().right > view + 0.5) add(el);
    }
    // Text overflowing a box that fits (a long unbroken word) is not in
    // its element's box: measure the text itself.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.data.trim() || !n.parentElement) continue;
      range.selectNodeContents(n);
      if (range.getBoundingClientRect().right > view + 0.5) add(n.parentElement, true);
    }
    const describe = (el) => el.tagName.toLowerCase() + (el.className ? '.' + [...el.classList].join('.') : '') +
      ` "${(el.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 50)}"`;
    return { scroll: document.documentElement.scrollWidth, view, wide: wide.map(describe) };
  });
}

/** Opens every <details> of the page, so that what they hold is measured too. */
export async function openDetails(page) {
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true;
  });
}

/**
 * Each visible .form-actions whose first button or link is not the primary
 * one (a .button that is neither --secondary nor --link; --danger is the
 * primary action of a page that destroys something).
 * Returns [{ first, primary }], empty when every form's primary comes first
 * or the actions hold no primary.
 */
export async function primaryNotFirst(page) {
  return page.evaluate(() => {
    const out = [];
    const isPrimary = (el) => el.classList.contains('button') && !['button--secondary', 'button--link'].some((c) => el.classList.contains(c));
    for (const actions of document.querySelectorAll('.form-actions')) {
      if (!actions.checkVisibility()) continue;
      const controls = [...actions.querySelectorAll('button, a')].filter((el) => el.checkVisibility());
      const primary = controls.find(isPrimary);
      if (primary && controls[0] !== primary) out.push({ first: controls[0].innerText.trim(), primary: primary.innerText.trim() });
    }
    return out;
  });
}

/**
 * Where French typography fails on the page as laid out: each visible text
 * where ":", ";", "?" or "!" (closing a phrase: followed by a space, a
 * closing mark or the end) or "»" follows anything but a narrow no-break
 * space, each "«" not followed by one, each line box that begins with such
 * a mark (Range.getClientRects, in case a page builds one from pieces), and
 * each time or range ("9 h 30", "9 h – 12 h") laid over two lines. Times
 * such as "14:30", URLs and formats ("hh:mm") have no space after their
 * colon and are not punctuation. Returns descriptions, empty when all is
 * well.
 */
export async function frenchTypography(page) {
  return page.evaluate(() => {
    const faults = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const mark = /(^|[^\u202f:;?!])([:;?!»])(?=$|[\s)\].,»"'’]|\u202f)/gu;
    const timeOrRange = /\d[\s\u00a0\u202f]*h(?:[\s\u00a0\u202f]*\d\d)?(?:[\s\u00a0\u202f\u2060]*[–-][\s\u00a0\u202f\u2060]*\d+[\s\u00a0\u202f]*h(?:[\s\u00a0\u202f]*\d\d)?)?(?![\p{L}])/gu;
    const lines = (node, start, end) => {
      const r = document.createRange();
      r.setStart(node, start);
      r.setEnd(node, end);
      return new Set([...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.bottom))).size;
    };
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('script, style, code, pre, .code, .ref, .hash, .command, [lang]:not([lang|=fr])')) continue;
      if (!el.checkVisibility()) continue;
      const s = n.data;
      const where = (i, len) => `"${s.slice(Math.max(0, i - 20), i + len + 5).replace(/\s+/g, ' ')}" in <${el.tagName.toLowerCase()}>`;
      for (const m of s.matchAll(mark)) {
        // A mark at the very start of a text node: look at what precedes it on screen.
        if (m.index === 0 && m[1] === '') {
          const before = previousChar(n);
          if (before === '\u202f' || before === '' || /[:;?!]/.test(before)) continue;
        }
        faults.push(`no narrow no-break space before "${m[2]}": ${where(m.index, m[0].length)}`);
      }
      for (const m of s.matchAll(/«(?!\u202f)/g)) faults.push(`no narrow no-break space after "«": ${where(m.index, 1)}`);
      for (const m of s.matchAll(/[:;?!»]/g)) {
        if (lineStart(n, m.index)) faults.push(`a line starts with "${m[0]}": ${where(m.index, 1)}`);
      }
      for (const m of s.matchAll(timeOrRange)) {
        if (lines(n, m.index, m.index + m[0].length) > 1) faults.push(`a time or range breaks across lines: ${where(m.index, m[0].length)}`);
      }
    }
    return faults;

    // The character shown just before text node n, "" when a block starts there.
    function previousChar(n) {
      const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      w.currentNode = n;
      for (let p = w.previousNode(); p; p = w.previousNode()) {
        if (p.data.length) return p.data.at(-1);
      }
      return '';
    }
    // Whether the mark at index in n is the first thing on its line: the
    // character before it (skipping spaces) sits on an earlier line.
    function lineStart(n, index) {
      let i = index - 1;
      while (i >= 0 && /\s/.test(n.data[i]) && n.data[i] !== '\u202f') i--;
      if (i < 0) return false;
      return lines(n, i, index + 1) > 1;
    }
  });
}
