// `npm start`: checks the settings, builds the web app when its sources are newer than the build,
// then serves everything from one process. On a fresh clone this is the only command after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli';
import { loadConfig } from './config';
import { startServer } from './server';
import { buildPgliteTemplate } from '../db/pglite-template';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureWebBuilt(): void {
  const handler = join(root, 'web/build/handler.js');
  const sources = [join(root, 'web/src'), join(root, 'web/static')];
  if (existsSync(handler) && Math.max(...sources.map(newestMtimeMs)) <= statSync(handler).mtimeMs) return;
  process.stdout.write('building the web app (first start, or its sources changed)…\n');
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: join(root, 'web'), stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the web app did not build (see above)');
}

await runCli(async () => {
  const config = loadConfig();
  if (config.SERVE_WEB) ensureWebBuilt();
  if (config.embedded) await buildPgliteTemplate();
  await startServer(config);
});
