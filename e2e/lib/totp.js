// TOTP codes (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits) as an
// authenticator app computes them, for signing in as a seeded demo agent.

import { createHash, createHmac } from 'node:crypto';

/** The TOTP code of a raw key (Buffer) at time ms (default: now). */
export function totp(key, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Decodes RFC 4648 base32 (no padding needed), as shown on the activation page. */
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The raw TOTP key of a seeded demo agent (see internal/demo/agents.go). */
export function demoKey(serviceNumber) {
  return createHash('sha256').update(`guichet demo totp ${serviceNumber}`).digest().subarray(0, 20);
}

export const DEMO_PASSWORD = 'guichet demo 2026';
