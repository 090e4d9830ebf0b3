import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/spawn-server';

// `npm start` with nothing set said "listening on http://127.0.0.1:<port>", the first address
// Fastify bound, while the product's own address (Stripe's return URLs, links in mail and the
// share box) is http://localhost:<port>. A member who opened the printed address gave, and Checkout
// sent her back to the other one: another origin, so signed out there, and what she had typed
// before a canceled checkout gone. The start line names the address the product uses.
const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sf-address-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('npm start names the address its links and Stripe return to', async () => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, SERVE_WEB: 'false', SEED_DEMO: 'false', LOG_LEVEL: 'info', PORT: String(port), STRIPE_EMULATOR_PORT: String(await freePort()) };
  delete env.PUBLIC_URL;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const until = Date.now() + 50_000;
  while (!out.includes('solidarity-fund listening') && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  const line = out.split('\n').find((l) => l.includes('solidarity-fund listening'));
  expect(line, out).toBeDefined();
  expect((JSON.parse(line!) as { msg: string }).msg).toBe(`solidarity-fund listening on http://localhost:${port}`);
}, 60_000);
