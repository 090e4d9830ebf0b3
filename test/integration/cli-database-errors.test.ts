import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { databaseUrl } from '../helpers/pg-admin';

// `npm run db:migrate` is Fly's release_command and the first command of the README's production
// recipe; `npm run serve` migrates too. With a DATABASE_URL that reaches no database they printed
// "Failed query: CREATE SCHEMA IF NOT EXISTS "drizzle"" and a stack trace of drizzle's internals,
// and never the reason (connection refused, no such database, no such role): the operator had
// nothing to fix. They now say which setting and why, in one line, and exit non-zero.
const root = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(args[0]!, args.slice(1), { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr.split('\n').filter((l) => l.trim() && !l.includes('npm warn')).join('\n') };
}

describe('a DATABASE_URL that reaches no database', () => {
  const cases = [
    { name: 'nothing listens on its port', url: 'postgres://postgres@127.0.0.1:1/solidarity', reason: 'connect ECONNREFUSED 127.0.0.1:1' },
    { name: 'its database does not exist', url: databaseUrl('sf_no_such_database'), reason: 'database "sf_no_such_database" does not exist' },
  ];
  for (const c of cases) {
    it(`npm run db:migrate says so in one line when ${c.name}`, () => {
      const { status, stderr } = run(['npm', 'run', '--silent', 'db:migrate'], { DATABASE_URL: c.url });
      expect(status).toBe(1);
      expect(stderr).toBe(`solidarity-fund: DATABASE_URL: cannot use the database: ${c.reason}`);
    });
  }

  it('npm run serve says so too, before listening', () => {
    const { status, stderr } = run(['node', '--import', 'tsx', 'server/main.ts'], { DATABASE_URL: cases[1]!.url, PORT: '1', STRIPE_EMULATOR_PORT: '0' });
    expect(status).toBe(1);
    expect(stderr).toBe(`solidarity-fund: DATABASE_URL: cannot use the database: ${cases[1]!.reason}`);
  });
});

// `npm run ledger:verify` or `npm run db:migrate` beside a running `npm start`: the embedded
// database is one process's. Said as clearly, without the stack trace it came with.
describe('an embedded DATA_DIR another process holds', () => {
  it('npm run db:migrate says which process, in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-held-'));
    try {
      // This test's own process stands for the running `npm start`.
      writeFileSync(join(dir, 'pglite.lock'), String(process.pid));
      const { status, stderr } = run(['npm', 'run', '--silent', 'db:migrate'], { DATA_DIR: dir, DATABASE_URL: '' });
      expect(status).toBe(1);
      expect(stderr).toBe(`solidarity-fund: DATA_DIR: ${dir} is in use by process ${process.pid}; stop it first or set DATA_DIR to another folder`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
