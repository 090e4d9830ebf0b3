import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * How long any server these tests start may take to answer its readiness check. On the CI machine
 * (two cores, shared with the other test files and their browsers) a start waits for a core as
 * much as it works: the embedded demo, 4.5 s alone here, took 9 s beside three busy processes and
 * over 10 s once in CI. A budget for the clock, not a promise: a start slower than this is broken,
 * and says so (spawnAndWait throws) rather than letting the file fail later on a dead address.
 */
export const SERVER_START_BUDGET_MS = 40_000;

export interface SpawnedServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs the real product as a separate process (`npm start`'s entry point) and waits for /healthz. */
export async function spawnServer(env: Record<string, string>, timeoutMs = SERVER_START_BUDGET_MS): Promise<SpawnedServer & { readyMs: number; readyCpuMs: number | null }> {
  const port = Number(env.PORT ?? (await freePort()));
  return spawnAndWait(['--import', 'tsx', 'server/main.ts'], { LOG_LEVEL: 'warn', STRIPE_EMULATOR_PORT: '0', ...env, PORT: String(port) }, `http://127.0.0.1:${port}`, '/healthz', timeoutMs);
}

/**
 * The built pages alone (adapter-node's own server on `port`), calling the API over HTTP at
 * 127.0.0.1:`apiPort`, as `npm run dev` runs them: apart from the API, which can be gone meanwhile.
 */
export async function spawnWebApart(opts: { port: number; apiPort: number }, timeoutMs = SERVER_START_BUDGET_MS): Promise<SpawnedServer & { readyMs: number; readyCpuMs: number | null }> {
  const url = `http://127.0.0.1:${opts.port}`;
  // A static file: ready without asking the API anything.
  return spawnAndWait(['web/build/index.js'], { PORT: String(opts.port), HOST: '127.0.0.1', ORIGIN: url, API_PORT: String(opts.apiPort) }, url, '/favicon.svg', timeoutMs);
}

/**
 * The processor time a process has used so far (user and system, its threads included), from
 * /proc; null where there is none. Printed beside the clock's time: it grows far less while the
 * process waits for a core that other work holds.
 */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name, which may hold spaces: state is [0], utime [11], stime [12].
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    const ticksPerSecond = 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

async function spawnAndWait(args: string[], env: Record<string, string>, url: string, readyPath: string, timeoutMs: number): Promise<SpawnedServer & { readyMs: number; readyCpuMs: number | null }> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  while (Date.now() - startedAt < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${out}`);
    const ok = await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const readyMs = Date.now() - startedAt;
  if (readyMs >= timeoutMs) {
    child.kill('SIGTERM');
    throw new Error(`server not ready at ${url}${readyPath} within ${timeoutMs} ms: ${out}`);
  }
  return {
    url,
    process: child,
    readyMs,
    readyCpuMs: cpuMsOf(child.pid),
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The product with its demo data on a test database, at a port of its own that is also its public
 * address, with the dev mail page on (sign-in links are read there, as a demo user would): the
 * server the e2e tests run against. `env` adds to or overrides those settings.
 */
export async function spawnDemoServer(databaseUrl: string, env: Record<string, string> = {}, timeoutMs = SERVER_START_BUDGET_MS): Promise<SpawnedServer & { readyMs: number; readyCpuMs: number | null }> {
  const port = await freePort();
  return spawnServer({ DATABASE_URL: databaseUrl, SEED_DEMO: 'true', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, NODE_ENV: 'test', DEV_MAIL: 'true', ...env }, timeoutMs);
}
