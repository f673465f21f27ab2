// What `guichet demo` prints on start-up, read from the output the harness
// keeps (server.output()): the sample reports with their tracking codes
// and the seeded agent logins. Read it at the start of a test: the harness
// keeps the last 200 lines only, and request logs follow.

import assert from 'node:assert/strict';

/**
 * The sample reports (signalements) the demo printed under "seeded N
 * reports (signalements) … samples (reference, tracking code,
 * category):", as [{ ref, code, category }], in the printed order.
 */
export function demoReports(output) {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /seeded \d+ reports \(signalements\)/.test(l));
  assert.ok(start >= 0, `the demo printed its sample reports:\n${output}`);
  const out = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^\s+(SG-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\s+(\S+)\s*$/.exec(l);
    if (!m) break;
    out.push({ ref: m[1], code: m[2], category: m[3] });
  }
  assert.ok(out.length > 0, `the demo printed at least one sample report:\n${output}`);
  return out;
}

/** The first sample report of category (e.g. 'phishing') the demo printed. */
export function demoReport(output, category) {
  const r = demoReports(output).find((x) => x.category === category);
  assert.ok(r, `the demo printed a ${category} sample report:\n${output}`);
  return r;
}

/**
 * A seeded login as the demo printed it: { serviceNumber, role, unit,
 * name, pseudonym }.
 */
export function demoAgent(output, serviceNumber) {
  const re = new RegExp(`^\\s+${serviceNumber}\\s+(\\S+)\\s+(\\S+)\\s+\\S+\\s+\\((.+), pseudonym (\\S+)\\)\\s*$`, 'm');
  const m = re.exec(output);
  assert.ok(m, `the demo printed the login ${serviceNumber}:\n${output}`);
  return { serviceNumber, role: m[1], unit: m[2], name: m[3], pseudonym: m[4] };
}
