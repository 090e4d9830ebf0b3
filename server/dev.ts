// `npm run dev`: the API (with the database and the Stripe emulator) on API_PORT, and Vite's dev
// server for the web app on PORT with hot reload, proxying /api to it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.API_PORT ?? '3001';
const webPort = process.env.PORT ?? '3000';
// Stripe's return URLs must lead back to the pages (Vite's port), not to the API's.
const env = { ...process.env, API_PORT: apiPort, PUBLIC_URL: process.env.PUBLIC_URL ?? `http://localhost:${webPort}` };

const api = spawn('npx', ['tsx', 'watch', 'server/main.ts'], { cwd: root, stdio: 'inherit', env: { ...env, PORT: apiPort, SERVE_WEB: 'false' } });
const web = spawn('npx', ['vite', 'dev'], { cwd: `${root}/web`, stdio: 'inherit', env });

const stop = () => {
  api.kill('SIGTERM');
  web.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
api.once('exit', stop);
web.once('exit', stop);
