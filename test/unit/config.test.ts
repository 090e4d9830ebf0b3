import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

describe('config', () => {
  // Embedded mode must need nothing set: PGlite, the emulator, demo data.
  it('defaults to embedded mode on an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, embedded: true, seedDemo: true, stripeMode: 'emulator' });
  });

  // Production must never get demo data by accident.
  it('does not seed demo data against a real database unless asked', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED_DEMO: 'true' }).seedDemo).toBe(true);
  });

  // The demo's gifts are paid in the emulator: never against real Stripe, and not in the browser
  // tests' Postgres databases, whose figures start at nothing unless they ask.
  it("gives the demo's gifts in embedded mode with the emulator only", () => {
    expect(loadConfig({}).demoGifts).toBe(true);
    expect(loadConfig({ SEED_DEMO: 'false' }).demoGifts).toBe(false);
    expect(loadConfig({ DEMO_GIFTS: 'false' }).demoGifts).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED_DEMO: 'true' }).demoGifts).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED_DEMO: 'true', DEMO_GIFTS: 'true' }).demoGifts).toBe(true);
    const stripe = { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };
    expect(loadConfig(stripe).demoGifts).toBe(false);
    expect(() => loadConfig({ ...stripe, DEMO_GIFTS: 'true' })).toThrow(/DEMO_GIFTS/);
  });

  // The dev mail page hands out everyone's sign-in links: the demo's, or a test's when asked; never production's.
  it('shows the dev mail page in embedded mode or when asked, never in production', () => {
    expect(loadConfig({}).devMail).toBe(true);
    expect(loadConfig({ SMTP_URL: 'smtp://h:25' }).devMail).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).devMail).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', DEV_MAIL: 'true' }).devMail).toBe(true);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', DEV_MAIL: 'true', NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(32) })).toThrow(/DEV_MAIL/);
    // Embedded in production (no DATABASE_URL, no SMTP_URL) is no demo: the page that shows sign-in links stays off.
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://give.example.org' }).devMail).toBe(false);
  });

  // One clear line per bad variable, so an operator fixes all of them in one go.
  it('reports each bad variable on its own line', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'nope' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^PORT: must be a whole number, e\.g\. 3000/);
    expect(lines[1]).toMatch(/^DATABASE_URL: must be a postgres:\/\/ URL, e\.g\. postgres:\/\//);
  });

  // A live key without its webhook secret would accept forged webhooks or none at all.
  it('requires the webhook secret with a Stripe key', () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });

  // The README promises this exact behaviour for `npm start` with bad settings.
  it('npm start exits non-zero with one line per bad setting and no stack trace', () => {
    const run = spawnSync('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: 'abc', DATABASE_URL: 'nope' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).not.toBe(0);
    const out = run.stderr.split('\n').filter((l) => l.trim() && !l.includes('npm warn'));
    expect(out).toContain('  PORT: must be a whole number, e.g. 3000 (got "abc")');
    expect(out.some((l) => l.startsWith('  DATABASE_URL: must be a postgres:// URL'))).toBe(true);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
