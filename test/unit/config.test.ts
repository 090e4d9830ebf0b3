import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicUrlOf } from '../../server/config';

/** What production needs besides NODE_ENV: the README's `fly secrets set` line. */
const production = {
  DATABASE_URL: 'postgres://u@h/db',
  AUTH_SECRET: 'x'.repeat(32),
  PUBLIC_URL: 'https://give.example.org',
  STRIPE_SECRET_KEY: 'sk_live_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
  SMTP_URL: 'smtps://user:pass@smtp.example.org:465',
};

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
    // Embedded in production (no DATABASE_URL) is no demo: the page that shows sign-in links stays off.
    const { DATABASE_URL: _, ...embeddedProduction } = production;
    expect(loadConfig({ NODE_ENV: 'production', ...embeddedProduction }).devMail).toBe(false);
  });

  // Without PUBLIC_URL (or with one on this machine, as `npm run dev` sets) the product works only
  // at localhost: its links, Stripe's returns and the origins it trusts are local names. Listening on
  // every interface (the old default) printed "listening at http://<LAN address>", where forms are
  // refused as another site's, and let anyone on the network read the demo's /dev/mail (everyone's
  // sign-in links). Elsewhere, and whenever HOST is set (fly.toml), every interface as before.
  it('listens on loopback when people reach it at this machine, on every interface otherwise, at HOST when set', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ PORT: '3530' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:5173' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:3000' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ PUBLIC_URL: 'http://[::1]:3000' }).HOST).toBe('::1');
    for (const local of ['http://give.localhost:3000', 'http://localhost.:3000', 'http://127.0.1.1:3000']) expect(loadConfig({ PUBLIC_URL: local }).HOST, local).toBe('127.0.0.1');
    expect(loadConfig({ PUBLIC_URL: 'https://give.example.org' }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'production', ...production }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::', PUBLIC_URL: 'http://localhost:3000' }).HOST).toBe('::');
    expect(loadConfig({ NODE_ENV: 'production', ...production, HOST: '10.0.0.5' }).HOST).toBe('10.0.0.5');
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

  // In production each of these has a default that is wrong and quiet: links in mail and Stripe's
  // return URLs to localhost, a Stripe emulator no donor can reach, sign-in links that never leave
  // the outbox. Production refuses to start without them, naming each.
  it('requires PUBLIC_URL, STRIPE_SECRET_KEY and SMTP_URL in production', () => {
    let err: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db', AUTH_SECRET: 'x'.repeat(32) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines;
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^PUBLIC_URL: is required in production/);
    expect(lines[1]).toMatch(/^STRIPE_SECRET_KEY: is required in production/);
    expect(lines[2]).toMatch(/^SMTP_URL: is required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', ...production })).not.toThrow();
  });

  // Links are PUBLIC_URL followed by a path: anything but an http(s) origin makes every one broken
  // ("localhost:3000" even parses as a URL of scheme "localhost:").
  it('takes PUBLIC_URL as an http(s) origin only', () => {
    for (const bad of ['localhost:3000', 'give.example.org:443', 'ftp://give.example.org', 'https://give.example.org/app', 'https://give.example.org?x=1', 'https://give.example.org/#top']) {
      expect(() => loadConfig({ PUBLIC_URL: bad }), bad).toThrow(/^PUBLIC_URL: must be/);
    }
    expect(publicUrlOf(loadConfig({ PUBLIC_URL: 'https://give.example.org/' }))).toBe('https://give.example.org');
    expect(publicUrlOf(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }))).toBe('http://localhost:3000');
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
