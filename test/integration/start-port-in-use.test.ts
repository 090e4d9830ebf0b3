import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/spawn-server';

// A new user's port 3000 is often taken (another dev server), or a second demo is started beside
// the first (the emulator's 12111). `npm start` printed listen EADDRINUSE with a stack trace and
// then hung: the Stripe emulator, the embedded database and its lock stayed open, so the process
// never ended. It now says which setting to change, in one line, and exits.
const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sf-port-'));
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
  takenPort = (taken.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ code: number | null | 'still running'; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, SERVE_WEB: 'false', SEED_DEMO: 'false', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const code = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000)),
  ]);
  if (code === 'still running') child.kill('SIGKILL');
  return { code, stderr };
}

describe('npm start on a port already in use', () => {
  it('says PORT is in use and exits', async () => {
    const { code, stderr } = await start({ PORT: String(takenPort), STRIPE_EMULATOR_PORT: String(await freePort()) });
    expect({ code, stderr }).toEqual({ code: 1, stderr: `solidarity-fund: invalid configuration\n  PORT: ${takenPort} is already in use on 127.0.0.1: stop what uses it, or choose another, e.g. PORT=4000\n` });
  }, 60_000);

  it('says STRIPE_EMULATOR_PORT is in use and exits', async () => {
    const { code, stderr } = await start({ PORT: String(await freePort()), STRIPE_EMULATOR_PORT: String(takenPort) });
    expect({ code, stderr }).toEqual({ code: 1, stderr: `solidarity-fund: invalid configuration\n  STRIPE_EMULATOR_PORT: ${takenPort} is already in use: stop what uses it (another npm start?), or choose another, e.g. STRIPE_EMULATOR_PORT=${takenPort + 1}\n` });
  }, 60_000);
});
