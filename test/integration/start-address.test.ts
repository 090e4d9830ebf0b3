import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/spawn-server';

// `npm start` with nothing set said "listening on http://127.0.0.1:<port>", the first address
// Fastify bound, while the product's own address (Stripe's return URLs, links in mail and the
// share box) is http://localhost:<port>. A member who opened the printed address gave, and Checkout
// sent her back to the other one: another origin, so signed out there, and what she had typed
// before a canceled checkout gone. The start line names the address the product uses.
// It also listened on every interface, and Fastify's own lines said "Server listening at
// http://192.0.2.2:<port>" (the machine's network address): a page that refuses the person's forms
// (another origin than the ones the demo trusts), and a /dev/mail with everyone's sign-in links
// for anyone on the same network. The demo listens on loopback alone: each address it prints opens.
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
  // An address of this machine's on a network, if it has one: the demo must not answer there.
  const networkAddress = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const until = Date.now() + 50_000;
  while (!out.includes('solidarity-fund listening') && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const onNetwork = networkAddress === undefined ? 'no network address' : await connects(networkAddress, port);
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  const line = out.split('\n').find((l) => l.includes('solidarity-fund listening'));
  expect(line, out).toBeDefined();
  expect((JSON.parse(line!) as { msg: string }).msg).toBe(`solidarity-fund listening on http://localhost:${port}`);
  const opened = out.split('\n').filter((l) => l.includes('Server listening at')).map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(opened.length, out).toBeGreaterThan(0);
  for (const msg of opened) expect(msg).toBe(`Server listening at http://127.0.0.1:${port}`);
  expect(onNetwork, `the demo answers at ${networkAddress}:${port}`).not.toBe('connected');
}, 60_000);

/** Whether a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve('connected')));
    socket.once('error', () => resolve('refused'));
    socket.once('timeout', () => (socket.destroy(), resolve('refused')));
  });
}
