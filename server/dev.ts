// `npm run dev`: the API (with the database and the Stripe emulator) on API_PORT, and Vite's dev
// server for the web app on PORT with hot reload, proxying /api to it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.API_PORT ?? '3001';
const webPort = process.env.PORT ?? '3000';
// Stripe's return URLs must lead back to the pages (Vite's port), not to the API's.
const env = { ...process.env, API_PORT: apiPort, PUBLIC_URL: process.env.PUBLIC_URL ?? `http://localhost:${webPort}` };

// Node runs tsx's and Vite's own scripts, not `npx`: a signal passed to npx reaches only the shell
// it starts, which dies without passing it on and leaves the API (holding the embedded database)
// and Vite running.
const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
const viteCli = join(root, 'node_modules/vite/bin/vite.js');
const api = spawn(process.execPath, [tsxCli, 'watch', 'server/main.ts'], { cwd: root, stdio: 'inherit', env: { ...env, PORT: apiPort, SERVE_WEB: 'false' } });
const web = spawn(process.execPath, [viteCli, 'dev'], { cwd: join(root, 'web'), stdio: 'inherit', env });

const stop = () => {
  api.kill('SIGTERM');
  web.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
api.once('exit', stop);
web.once('exit', stop);
