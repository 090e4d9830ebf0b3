import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations, organizations } from '../../db/schema/index';
import { buildApp } from '../../server/app';
import { platformOrganizationProblem, platformTreasurers } from '../../server/auth/permissions';
import { ConfigError } from '../../server/config';
import { treasurersOfGift } from '../../server/payments/gift-treasurers';
import { createStripeClient } from '../../server/payments/stripe-client';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { testConfig } from '../helpers/config';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn, signInAs } from '../helpers/sign-in';
import { spawnServer } from '../helpers/spawn-server';

// The platform's treasurers run the shared Stripe account's books: every gift's disputes, the
// platform's statements, parked Stripe events. The platform is ONE organization: with two
// federations in one deployment, one federation's treasurers must not read the other's gifts.

let h: PaymentsHarness;
let stripe: Stripe;
let disputeId: string;
let giftOrganizationId: string;
const extraApps: FastifyInstance[] = [];

const org = async (slug: string) => (await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, slug)))[0]!.id;
const get = (url: string, cookie: string, app: FastifyInstance = h.app) => app.inject({ url, headers: { cookie } });
const disputeIds = async (cookie: string) => {
  const res = await get('/api/disputes?state=all&limit=200', cookie);
  return res.statusCode === 200 ? (res.json() as { disputes: { id: string }[] }).disputes.map((d) => d.id) : res.statusCode;
};

/**
 * Another app on the same database, with PLATFORM_ORGANIZATION set as given: it answers by its own
 * setting (app.platform), whatever the other apps of this process were built with.
 */
async function appWith(env: Record<string, string>): Promise<FastifyInstance> {
  const app = await buildApp({ config: testConfig({ PUBLIC_URL: 'http://localhost:3000', ...env }), database: h.testDb.database, stripe: { client: stripe, webhookSecret: 'whsec_test_platform' } });
  extraApps.push(app);
  return app;
}

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: h.emulator.clientOptions });
  // A gift of the demo federation (federation A), charged back.
  const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor: '4500' });
  expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  await h.settle();
  const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
  disputeId = h.emulator.controls.disputeCharge(d!.chargeId!).id;
  await h.settle();
  giftOrganizationId = await org('ue-local-222');
});

afterAll(async () => {
  for (const app of extraApps) await app.close();
  await h?.close();
});

describe('the platform organization', () => {
  it('is the only top-level organization when PLATFORM_ORGANIZATION is unset (one federation, the demo)', async () => {
    // A treasurer of the federation whose grant does not reach the locals still runs the platform's books.
    const books = await signInAs(h.app, 'books@federation-a.test', { organizationId: await org('demo-federation'), role: 'treasurer', includesDescendants: false });
    expect((await get('/api/stripe/events', books)).statusCode).toBe(200);
    expect(await disputeIds(books)).toContain(disputeId);
    expect((await platformTreasurers(h.testDb.database.db, h.app.platform)).map((t) => t.email)).toEqual(expect.arrayContaining(['books@federation-a.test', 'treasurer@federation.demo']));
    expect(await platformOrganizationProblem(h.testDb.database.db, h.app.platform)).toBeNull();
  });

  it("does not make another federation's treasurer the platform's: 403 on the platform's books, only their own gifts", async () => {
    await h.testDb.database.db.insert(organizations).values({ slug: 'federation-b', name: 'Federation B', kind: 'federation', country: null, defaultCurrency: 'EUR', parentId: null });
    const treasurerB = await signInAs(h.app, 'treasurer@federation-b.test', { organizationId: await org('federation-b'), role: 'treasurer', includesDescendants: true });
    // Federation A's disputes, donors and Stripe's shared books are not federation B's to read.
    expect(await disputeIds(treasurerB)).not.toContain(disputeId);
    expect((await get('/api/stripe/events', treasurerB)).statusCode).toBe(403);
    const accounts = await get('/api/ledger/accounts?limit=200', treasurerB);
    expect(accounts.statusCode).toBe(200);
    expect((accounts.json() as { accounts: unknown[] }).accounts).toEqual([]);
    expect((await get(`/api/donations/by-stripe-id/${disputeId}`, treasurerB)).statusCode).toBe(404);
    // Nor is federation B's treasurer told of federation A's disputes.
    expect((await treasurersOfGift(h.testDb.database.db, h.app.platform, giftOrganizationId)).map((t) => t.email)).not.toContain('treasurer@federation-b.test');
  });

  it('is nobody with two federations and PLATFORM_ORGANIZATION unset (fail closed), and says so at start', async () => {
    const books = await signIn(h.app, 'books@federation-a.test');
    expect((await get('/api/stripe/events', books)).statusCode).toBe(403);
    // Federation A's own treasurers still see federation A's disputes through their own grant.
    expect(await disputeIds(h.treasurer)).toContain(disputeId);
    expect(await platformTreasurers(h.testDb.database.db, h.app.platform)).toEqual([]);
    const problem = await platformOrganizationProblem(h.testDb.database.db, h.app.platform);
    expect(problem).toMatch(/^PLATFORM_ORGANIZATION is unset and there are 2 top-level organizations: nobody is a platform treasurer .*set PLATFORM_ORGANIZATION/);
    expect(problem).not.toMatch(/@/);
  });

  it('is named for the operator in one warning when the server starts with two federations and no PLATFORM_ORGANIZATION', async () => {
    await h.testDb.database.db.insert(organizations).values({ slug: 'federation-b', name: 'Federation B', kind: 'federation', country: null, defaultCurrency: 'EUR', parentId: null }).onConflictDoNothing();
    const server = await spawnServer({ DATABASE_URL: h.testDb.url, SERVE_WEB: 'false', RUN_WORKER: 'false', SEED_DEMO: 'false', NODE_ENV: 'test', LOG_LEVEL: 'warn' });
    try {
      const warned = server.output().split('\n').filter((l) => l.includes('PLATFORM_ORGANIZATION'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/"level":40/);
      expect(warned[0]).toContain('set PLATFORM_ORGANIZATION to the slug of the organization that runs the Stripe account');
      expect(warned[0]).not.toMatch(/@/);
    } finally {
      await server.stop();
    }
    const named = await spawnServer({ DATABASE_URL: h.testDb.url, SERVE_WEB: 'false', RUN_WORKER: 'false', SEED_DEMO: 'false', NODE_ENV: 'test', LOG_LEVEL: 'warn', PLATFORM_ORGANIZATION: 'demo-federation' });
    try {
      expect(named.output()).not.toContain('PLATFORM_ORGANIZATION');
    } finally {
      await named.stop();
    }
  });

  it('is the organization PLATFORM_ORGANIZATION names, and only its treasurers', async () => {
    const a = await appWith({ PLATFORM_ORGANIZATION: 'demo-federation' });
    const books = await signIn(a, 'books@federation-a.test');
    const treasurerB = await signIn(a, 'treasurer@federation-b.test');
    expect((await get('/api/stripe/events', books, a)).statusCode).toBe(200);
    expect((await get('/api/stripe/events', treasurerB, a)).statusCode).toBe(403);
    expect((await get('/api/disputes?state=all', books, a)).json().disputes.map((d: { id: string }) => d.id)).toContain(disputeId);
    expect(await platformOrganizationProblem(h.testDb.database.db, a.platform)).toBeNull();
    expect((await platformTreasurers(h.testDb.database.db, a.platform)).map((t) => t.email)).not.toContain('treasurer@federation-b.test');

    const b = await appWith({ PLATFORM_ORGANIZATION: 'federation-b' });
    expect((await get('/api/stripe/events', treasurerB, b)).statusCode).toBe(200);
    expect((await get('/api/stripe/events', books, b)).statusCode).toBe(403);
  });

  it("is each app's own: two apps of one process, configured for two federations, each answer by their own setting, in either build order", async () => {
    await h.testDb.database.db.insert(organizations).values({ slug: 'federation-b', name: 'Federation B', kind: 'federation', country: null, defaultCurrency: 'EUR', parentId: null }).onConflictDoNothing();
    const books = await signInAs(h.app, 'books@federation-a.test', { organizationId: await org('demo-federation'), role: 'treasurer', includesDescendants: false });
    const treasurerB = await signInAs(h.app, 'treasurer@federation-b.test', { organizationId: await org('federation-b'), role: 'treasurer', includesDescendants: true });
    for (const order of [['demo-federation', 'federation-b'], ['federation-b', 'demo-federation']]) {
      const built = new Map<string, FastifyInstance>();
      for (const slug of order) built.set(slug, await appWith({ PLATFORM_ORGANIZATION: slug }));
      const [a, b] = [built.get('demo-federation')!, built.get('federation-b')!];
      const said = { order: order.join(' then '), aBooks: (await get('/api/stripe/events', books, a)).statusCode, aB: (await get('/api/stripe/events', treasurerB, a)).statusCode, bBooks: (await get('/api/stripe/events', books, b)).statusCode, bB: (await get('/api/stripe/events', treasurerB, b)).statusCode };
      expect(said).toEqual({ order: order.join(' then '), aBooks: 200, aB: 403, bBooks: 403, bB: 200 });
      // Federation A's disputes are the platform's books on A's app, and not on B's (the books treasurer's own grant stops at the federation).
      const disputesOn = async (app: FastifyInstance) => (await get('/api/disputes?state=all&limit=200', books, app)).json().disputes.map((d: { id: string }) => d.id);
      expect(await disputesOn(a)).toContain(disputeId);
      expect(await disputesOn(b)).not.toContain(disputeId);
      // The mails of a gift's disputes and failed refunds go to the platform treasurers of the setting passed (the poster's, the job's).
      const toldOn = async (app: FastifyInstance) => (await treasurersOfGift(h.testDb.database.db, app.platform, giftOrganizationId)).map((t) => t.email);
      expect(await toldOn(a)).toContain('books@federation-a.test');
      expect(await toldOn(a)).not.toContain('treasurer@federation-b.test');
      expect(await toldOn(b)).toContain('treasurer@federation-b.test');
      expect(await toldOn(b)).not.toContain('books@federation-a.test');
    }
  });

  it('is nobody when PLATFORM_ORGANIZATION names no top-level organization, and says so at start', async () => {
    const local = await appWith({ PLATFORM_ORGANIZATION: 'ue-local-222' });
    const localTreasurer = await signInAs(local, 'treasurer@ue222-platform.test', { organizationId: giftOrganizationId, role: 'treasurer' });
    expect((await get('/api/stripe/events', localTreasurer, local)).statusCode).toBe(403);
    expect(await platformTreasurers(h.testDb.database.db, local.platform)).toEqual([]);
    expect(await platformOrganizationProblem(h.testDb.database.db, local.platform)).toMatch(/^PLATFORM_ORGANIZATION: no top-level organization has the slug "ue-local-222"/);
  });

  it('refuses a PLATFORM_ORGANIZATION that is no slug', () => {
    expect(() => testConfig({ PLATFORM_ORGANIZATION: 'Demo Federation' })).toThrow(ConfigError);
    expect(testConfig({ PLATFORM_ORGANIZATION: 'demo-federation' }).PLATFORM_ORGANIZATION).toBe('demo-federation');
    expect(testConfig().PLATFORM_ORGANIZATION).toBeUndefined();
  });
});
