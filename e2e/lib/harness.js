// Harness of the browser suite: builds and starts the real guichet binary
// (`guichet demo` on 127.0.0.1:0 with a fresh data directory) and launches
// Debian's Chromium through playwright-core.
//
// Chromium absent: the suite is skipped with a message, unless
// GUICHET_REQUIRE_BROWSER=1 (scripts/test sets it), where it fails.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(E2E_DIR, '..');
export const SCREENSHOT_DIR = join(E2E_DIR, 'screenshots');

const REQUIRE_BROWSER = process.env.GUICHET_REQUIRE_BROWSER === '1';
const CHROMIUM = process.env.GUICHET_CHROMIUM || '/usr/bin/chromium';

// Flags this machine needs: no sandbox as root, and no background traffic
// towards hosts the closed network refuses. Playwright adds its own fresh
// --user-data-dir to every launch.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Resolves what the browser tests need. Returns { chromium } when they can
 * run, or { skip: 'reason' } when they cannot and are not required. Throws
 * when they are required and cannot run.
 */
export async function browserSupport() {
  let reason = '';
  if (!existsSync(CHROMIUM)) {
    reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium chromium-driver, or run scripts/test)`;
  }
  let pw = null;
  if (!reason) {
    try {
      pw = await import('playwright-core');
    } catch (err) {
      reason = `playwright-core is not installed (cd e2e && npm ci): ${err.message}`;
    }
  }
  if (reason) {
    if (REQUIRE_BROWSER) throw new Error(`GUICHET_REQUIRE_BROWSER=1 but ${reason}`);
    return { skip: reason };
  }
  return { chromium: pw.chromium };
}

/** Launches headless Chromium. */
export async function launchBrowser(chromium) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

let built = '';

/**
 * Returns the path of the guichet binary: $GUICHET_E2E_BIN when set (as
 * scripts/test does after building it), else it builds e2e/.bin/guichet.
 */
export function guichetBinary() {
  const fromEnv = process.env.GUICHET_E2E_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`GUICHET_E2E_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  if (built) return built;
  const out = join(E2E_DIR, '.bin', 'guichet');
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('go', ['build', '-o', out, './cmd/guichet'], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
  });
  built = out;
  return out;
}

const LISTENING = /guichet demo: listening on (https?:\/\/\S+)/;

/** A TCP port free on 127.0.0.1 now (the OS picks it; it is released at once). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `guichet demo --addr 127.0.0.1:0 --data <fresh dir>` and waits for
 * the line announcing its URL. Returns { url, output(), stop() }.
 *
 * With publicHost (e.g. 'localhost'), it picks a free port itself and
 * passes `--addr 127.0.0.1:PORT --public-url http://<publicHost>:PORT`:
 * WebAuthn refuses IP addresses, so passkeys need a host name. args are
 * more flags for `guichet demo` (e.g. ['--alert-after', '20s']).
 */
export async function startServer({ timeoutMs = 30_000, publicHost = '', args: extra = [] } = {}) {
  const bin = guichetBinary();
  const data = mkdtempSync(join(tmpdir(), 'guichet-e2e-'));
  const args = ['demo', '--addr', '127.0.0.1:0', '--data', data, ...extra];
  if (publicHost) {
    const port = await freePort();
    args.splice(1, 2, '--addr', `127.0.0.1:${port}`, '--public-url', `http://${publicHost}:${port}`);
  }
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GUICHET_LOG_FORMAT: 'text' },
  });
  // Keep the last lines of output for error messages; keep draining both
  // pipes so the server never blocks on a full pipe.
  const lines = [];
  const keep = (prefix) => (chunk) => {
    for (const l of chunk.toString().split('\n')) {
      if (l) lines.push(prefix + l);
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep(''));
  child.stderr.on('data', keep('stderr: '));
  const output = () => lines.join('\n');
  // Never leave a server behind, even when this process dies early.
  const reap = () => {
    child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  };
  process.once('exit', reap);

  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`guichet demo did not announce its URL within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    let seen = '';
    const onData = (chunk) => {
      seen = (seen + chunk.toString()).slice(-4096);
      const m = LISTENING.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`guichet demo exited (code ${code}, signal ${signal}) before listening:\n${output()}`));
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', reap);
    rmSync(data, { recursive: true, force: true });
  };
  return { url, output, stop };
}

/**
 * Sets up one test file: a server and a browser, shared by its tests, torn
 * down after them. Returns an object whose fields are filled in before().
 * serverOptions go to startServer (e.g. { publicHost: 'localhost' }).
 */
export function suite({ before, after }, support, serverOptions = {}) {
  const env = {
    url: '',
    browser: null,
    server: null,
    /** A fresh browser context; actions wait 10 s at most, not Playwright's 30. */
    async context(options) {
      const ctx = await env.browser.newContext(options);
      ctx.setDefaultTimeout(10_000);
      ctx.setDefaultNavigationTimeout(20_000);
      return ctx;
    },
    /** Runs fn(page, ctx) in a fresh context, closed after, and returns its result. */
    async withPage(options, fn) {
      const ctx = await env.context(options);
      try {
        return await fn(await ctx.newPage(), ctx);
      } finally {
        await ctx.close();
      }
    },
  };
  before(async () => {
    if (support.skip) return;
    env.server = await startServer(serverOptions);
    env.url = env.server.url;
    env.browser = await launchBrowser(support.chromium);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
