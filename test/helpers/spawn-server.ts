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
  return spawnAndWait(['--import', 'tsx', 'server/main.ts'], { LOG_LEVEL: 'warn', STRIPE_EMULATOR_PORT: '0', ...env, PORT: String(port) }, `http://127.0.0.1:${port}`, '/healthz', timeoutMs);
}

/**
 * The built pages alone (adapter-node's own server on `port`), calling the API over HTTP at
 * 127.0.0.1:`apiPort`, as `npm run dev` runs them: apart from the API, which can be gone meanwhile.
 */
export async function spawnWebApart(opts: { port: number; apiPort: number }, timeoutMs = 20_000): Promise<SpawnedServer & { readyMs: number }> {
  const url = `http://127.0.0.1:${opts.port}`;
  // A static file: ready without asking the API anything.
  return spawnAndWait(['web/build/index.js'], { PORT: String(opts.port), HOST: '127.0.0.1', ORIGIN: url, API_PORT: String(opts.apiPort) }, url, '/favicon.svg', timeoutMs);
}

async function spawnAndWait(args: string[], env: Record<string, string>, url: string, readyPath: string, timeoutMs: number): Promise<SpawnedServer & { readyMs: number }> {
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
