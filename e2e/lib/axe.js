// axe-core accessibility checks (WCAG 2.0/2.1 levels A and AA).
//
// The pages' CSP forbids inline scripts, so axe is not added as a <script>:
// its source is evaluated through the DevTools protocol (page.evaluate),
// which CSP does not govern. It needs a JavaScript-enabled context: in a
// context with JavaScript disabled, page.evaluate never returns.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe on the page as it is now and returns its violations. */
export async function axeViolations(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.slice(0, 200),
        summary: n.failureSummary,
      })),
    }));
  }, WCAG_TAGS);
}

/** Formats violations for a person reading a failed test's output. */
export function formatViolations(label, violations) {
  const out = [];
  for (const v of violations) {
    out.push(`  [${label}] ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}`);
    for (const n of v.nodes.slice(0, 5)) {
      out.push(`      at ${n.target}\n        ${n.html}`);
      if (n.summary) out.push(`        ${n.summary.replace(/\n/g, '\n        ')}`);
    }
    if (v.nodes.length > 5) out.push(`      … and ${v.nodes.length - 5} more`);
  }
  return out.join('\n');
}

/**
 * Collects axe results page by page; assertClean fails with every
 * violation found, page by page, so one run shows them all.
 */
export class AxeAudit {
  constructor() {
    this.pages = [];
  }

  async check(page, label) {
    const violations = await axeViolations(page);
    this.pages.push({ label, url: page.url(), violations });
    return violations;
  }

  report() {
    return this.pages
      .filter((p) => p.violations.length)
      .map((p) => `${p.label} — ${p.url}\n${formatViolations(p.label, p.violations)}`)
      .join('\n\n');
  }

  count() {
    return this.pages.reduce((n, p) => n + p.violations.length, 0);
  }
}
