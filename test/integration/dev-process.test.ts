import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/spawn-server';

// `npm run dev`'s own process (server/dev.ts) stopped by a signal to it alone (a process manager,
// `kill`): it passed SIGTERM on to the two `npx` it had started, whose shells died without passing
// it on, so the API (holding the embedded database's lock and API_PORT) and Vite (holding PORT)
// kept running. The next `npm run dev` or `npm start` then failed: ".data is in use by process …".
const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sf-dev-'));
let pgid: number | undefined;

function groupAlive(id: number): boolean {
  try {
    process.kill(-id, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  if (pgid && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run dev (server/dev.ts)', () => {
  it('stops the API and Vite with it when it is sent SIGTERM', async () => {
    const [webPort, apiPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
    const dev = spawn(process.execPath, ['--import', 'tsx', 'server/dev.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(webPort), API_PORT: String(apiPort), STRIPE_EMULATOR_PORT: String(emulatorPort), DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    pgid = dev.pid!;
    let out = '';
    dev.stdout?.on('data', (d) => (out += d));
    dev.stderr?.on('data', (d) => (out += d));
    const upBy = Date.now() + 60_000;
    while (Date.now() < upBy && !(await fetch(`http://127.0.0.1:${apiPort}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 250));
    expect(await fetch(`http://127.0.0.1:${apiPort}/healthz`).then((r) => r.ok, () => false), out).toBe(true);

    process.kill(dev.pid!, 'SIGTERM');
    const goneBy = Date.now() + 15_000;
    while (Date.now() < goneBy && groupAlive(pgid)) await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(pgid), `still running 15 s after SIGTERM:\n${out}`).toBe(false);
  }, 120_000);
});
