import { eq, sql } from 'drizzle-orm';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations, organizations } from '../../db/schema/index';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// At scale the app group runs with RUN_WORKER=false and `npm run worker` does the background work
// (fly.toml, README). The worker started its jobs without Stripe, so it ran none that need it: no
// event was ever posted to the ledger, and gifts stayed pending for good.
const root = fileURLToPath(new URL('../..', import.meta.url));
let h: PaymentsHarness;
let worker: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await h?.close();
});

describe('npm run worker', () => {
  // A deploy with no Stripe key and no app process serving the emulator beside the worker: every
  // batch the poster claimed would fail, and within the hour every event would be parked for a
  // treasurer to put back by hand. The worker stops at once, saying why; the events wait.
  it('stops, saying why, when it has neither a Stripe key nor an emulator to reach', async () => {
    const { donationId, checkoutUrl } = await h.donate('osaka-care-strike-fund', { amountMinor: '3000' });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    await h.emulator.controls.flush();
    let said = '';
    const alone = spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], {
      cwd: root,
      // A port nothing listens on: the emulator runs in app processes, and none runs here.
      env: { ...process.env, DATABASE_URL: h.testDb.url, STRIPE_EMULATOR_PORT: '1', WORKER_STRIPE_WAIT_SECONDS: '1', LOG_LEVEL: 'warn', METRICS_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    alone.stdout?.on('data', (d) => (said += d));
    alone.stderr?.on('data', (d) => (said += d));
    const exited = await Promise.race([new Promise<number | null>((resolve) => alone.once('exit', resolve)), new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000))]);
    if (exited === 'running') alone.kill('SIGTERM');
    expect(exited, said).toBe(1);
    expect(said).toContain('STRIPE_SECRET_KEY: not set, and no Stripe emulator answers on 127.0.0.1:1');
    const [event] = await h.testDb.database.rows<{ attempts: number; status: string }>(sql`
      SELECT e.attempts, e.status FROM stripe_events e
       WHERE e.type = 'checkout.session.completed' AND e.payload::jsonb -> 'data' -> 'object' -> 'metadata' ->> 'donation_id' = ${donationId}`);
    expect(event).toEqual({ attempts: 0, status: 'pending' });
  }, 60_000);

  it('posts stored Stripe events to the ledger, as the app process does', async () => {
    const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor: '2500' });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    // Stored by the app's webhook; the app itself runs no jobs here.
    await h.emulator.controls.flush();
    const statusOf = async () => (await h.testDb.database.db.select({ status: donations.status }).from(donations).where(eq(donations.id, donationId)))[0]?.status;
    expect(await statusOf()).toBe('pending');

    worker = spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: h.testDb.url, STRIPE_EMULATOR_PORT: String(h.emulator.clientOptions.port), LOG_LEVEL: 'warn', METRICS_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (d) => (output += d));
    worker.stderr?.on('data', (d) => (output += d));
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && (await statusOf()) === 'pending' && worker.exitCode === null) await new Promise((r) => setTimeout(r, 250));
    expect({ status: await statusOf(), exited: worker.exitCode }, output).toEqual({ status: 'succeeded', exited: null });
    // The appeal's account is a liability: what it holds is a credit balance.
    expect(await h.appealBalance('buck-a-brick')).toBe(-2500n);
    // One federation: it is the platform, nothing to warn of.
    expect(output).not.toContain('PLATFORM_ORGANIZATION');
  }, 90_000);

  // The worker mails the platform's treasurers of every dispute: with two federations and none
  // named, it mails none of the other federation's, and says at start what to set.
  it('warns once at start when two federations share the deployment and PLATFORM_ORGANIZATION is unset', async () => {
    await h.testDb.database.db.insert(organizations).values({ slug: 'federation-b', name: 'Federation B', kind: 'federation', defaultCurrency: 'EUR' });
    let said = '';
    const second = spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: h.testDb.url, STRIPE_EMULATOR_PORT: String(h.emulator.clientOptions.port), LOG_LEVEL: 'warn', METRICS_PORT: '', PLATFORM_ORGANIZATION: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    second.stdout?.on('data', (d) => (said += d));
    second.stderr?.on('data', (d) => (said += d));
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !said.includes('PLATFORM_ORGANIZATION') && second.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      const warned = said.split('\n').filter((l) => l.includes('PLATFORM_ORGANIZATION'));
      expect(warned, said).toHaveLength(1);
      expect(warned[0]).toMatch(/"level":40/);
      expect(warned[0]).toContain('there are 2 top-level organizations: nobody is a platform treasurer');
    } finally {
      if (second.exitCode === null) {
        const exited = new Promise((resolve) => second.once('exit', resolve));
        second.kill('SIGTERM');
        await exited;
      }
    }
  }, 60_000);
});
