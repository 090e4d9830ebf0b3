import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { freePort } from '../helpers/spawn-server';

// Fly stops a machine (every deploy, every auto-stop) by sending `kill_signal` to the process its
// `[processes]` command started, and kills the machine `kill_timeout` later. That command was
// `npm run serve`: npm passed the signal to its `sh -c`, which died and left the server running
// without ever hearing it, so requests in flight, open checkouts and a poster's batch were cut off
// by the kill instead of finishing. Each process group must hear the signal itself and be gone,
// every process of it, before the kill.
const root = fileURLToPath(new URL('../..', import.meta.url));
const flyToml = readFileSync(new URL('../../fly.toml', import.meta.url), 'utf8');

function setting(name: string): string {
  const match = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, 'm').exec(flyToml);
  if (!match) throw new Error(`fly.toml has no ${name}`);
  return match[1]!;
}

function processCommand(group: string): string[] {
  const section = /^\[processes\]\n([\s\S]*?)(?:^\[|$(?![\s\S]))/m.exec(flyToml)?.[1] ?? '';
  const match = new RegExp(`^\\s*${group}\\s*=\\s*"([^"]*)"`, 'm').exec(section);
  if (!match) throw new Error(`fly.toml has no [processes] ${group}`);
  return match[1]!.split(/\s+/);
}

const killSignal = setting('kill_signal') as NodeJS.Signals;
const killTimeoutMs = Number(/^(\d+)s$/.exec(setting('kill_timeout'))![1]) * 1000;

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Starts a process group's command as Fly does: alone in a process group of its own. */
function startGroup(group: string, env: Record<string, string>): Started {
  const [command, ...args] = processCommand(group);
  const child = spawn(command!, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, output: () => out };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends Fly's kill signal to the started process alone; resolves with whether the group is all gone before Fly's kill. */
async function stopAsFlyDoes(started: Started): Promise<boolean> {
  const pgid = started.child.pid!;
  process.kill(pgid, killSignal);
  const deadline = Date.now() + killTimeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function waitFor(what: () => Promise<boolean> | boolean, started: Started, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await what()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready in ${timeoutMs} ms: ${started.output()}`);
}

let db: TestDatabase;
const started: Started[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const s of started) if (s.child.pid && groupAlive(s.child.pid)) process.kill(-s.child.pid, 'SIGKILL');
  await db?.drop();
});

describe("fly.toml's process groups", () => {
  it(`each hears ${killSignal} and is gone, every process of it, within kill_timeout`, async () => {
    const port = await freePort();
    const emulatorPort = await freePort();
    const common = { DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'info', STRIPE_EMULATOR_PORT: String(emulatorPort), METRICS_PORT: '' };
    const app = startGroup('app', { ...common, PORT: String(port), RUN_WORKER: 'false', SERVE_WEB: 'false' });
    started.push(app);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), app);
    const worker = startGroup('worker', common);
    started.push(worker);
    await waitFor(() => worker.output().includes('worker started'), worker);

    expect(await stopAsFlyDoes(worker), worker.output()).toBe(true);
    expect(worker.child.exitCode, worker.output()).toBe(0);
    expect(await stopAsFlyDoes(app), app.output()).toBe(true);
    expect(app.output()).toContain('shutting down: finishing in-flight requests');
    expect(app.child.exitCode, app.output()).toBe(0);
  }, 120_000);
});
