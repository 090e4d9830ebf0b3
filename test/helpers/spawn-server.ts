import { spawn, type ChildProcess } from 'node:child_process';
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

export interface SpawnedServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs the real product as a separate process (`npm start`'s entry point) and waits for /healthz. */
export async function spawnServer(env: Record<string, string>, timeoutMs = 20_000): Promise<SpawnedServer & { readyMs: number }> {
  const port = Number(env.PORT ?? (await freePort()));
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', STRIPE_EMULATOR_PORT: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  while (Date.now() - startedAt < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${out}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const readyMs = Date.now() - startedAt;
  return {
    url,
    process: child,
    readyMs,
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
export async function spawnDemoServer(databaseUrl: string, env: Record<string, string> = {}, timeoutMs = 40_000): Promise<SpawnedServer & { readyMs: number }> {
  const port = await freePort();
  return spawnServer({ DATABASE_URL: databaseUrl, SEED_DEMO: 'true', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, NODE_ENV: 'test', DEV_MAIL: 'true', ...env }, timeoutMs);
}
