import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app';
import { openAccounts, post } from '../../server/ledger/service';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { signInAs } from '../helpers/sign-in';
import { organizations } from '../../db/schema/index';

let testDb: TestDatabase;
let app: FastifyInstance;
let treasurer: string;
let organizer: string;
let appealAccount: bigint;
const giftId = '0b7c2d5e-7a43-4c1e-9f0a-3d2b1c4e5f60';

beforeAll(async () => {
  testDb = await createTestDatabase();
  const ids = await openAccounts(testDb.database.db, [
    { code: 'stripe:pending', currency: 'JPY', type: 'asset' },
    { code: 'appeal:osaka', currency: 'JPY', type: 'liability' },
  ]);
  appealAccount = ids.get('appeal:osaka|JPY')!;
  await post(
    testDb.database.db,
    Array.from({ length: 5 }, (_, i) => ({
      idempotencyKey: `api-test:${i}`,
      kind: 'gift',
      metadata: i === 4 ? { donationId: giftId } : {},
      entries: [
        { accountId: ids.get('stripe:pending|JPY')!, amountMinor: 3000n },
        { accountId: appealAccount, amountMinor: -3000n },
      ],
    })),
  );
  app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
  const [federation] = await testDb.database.db
    .insert(organizations)
    .values({ slug: 'federation', name: 'Federation', kind: 'federation', defaultCurrency: 'USD' })
    .returning();
  treasurer = await signInAs(app, 'treasurer@example.org', { organizationId: federation!.id, role: 'treasurer' });
  organizer = await signInAs(app, 'organizer@example.org', { organizationId: federation!.id, role: 'organizer' });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

describe('read-only ledger API', () => {
  // Treasurers read balances as exact strings of minor units: ¥15,000 is "−15000", not 150.
  it('lists accounts with exact balances', async () => {
    const res = await app.inject({ url: '/api/ledger/accounts?currency=JPY', headers: { cookie: treasurer } });
    expect(res.statusCode).toBe(200);
    const appeal = res.json().accounts.find((a: { code: string }) => a.code === 'appeal:osaka');
    expect(appeal).toMatchObject({ currency: 'JPY', type: 'liability', balanceMinor: '-15000', entryCount: '5' });
  });

  // The statement pages newest first and the running balance is right across pages.
  it('pages a statement with running balances', async () => {
    const first = (await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?limit=3`, headers: { cookie: treasurer } })).json();
    expect(first.lines.map((l: { balanceAfterMinor: string }) => l.balanceAfterMinor)).toEqual(['-15000', '-12000', '-9000']);
    const second = (await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?limit=3&cursor=${first.nextCursor}`, headers: { cookie: treasurer } })).json();
    expect(second.lines.map((l: { balanceAfterMinor: string }) => l.balanceAfterMinor)).toEqual(['-6000', '-3000']);
    expect(second.nextCursor).toBeNull();
  });

  // A treasurer reading an appeal's account opens each gift from its line (and there refunds it).
  it("names the gift a posting belongs to, from the transaction's metadata", async () => {
    const page = (await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?limit=2`, headers: { cookie: treasurer } })).json();
    expect(page.lines.map((l: { donationId: string | null }) => l.donationId)).toEqual([giftId, null]);
  });

  it('unknown account is a 404, a forged cursor a 400', async () => {
    expect((await app.inject({ url: '/api/ledger/accounts/999999/statement', headers: { cookie: treasurer } })).json().error.code).toBe('ledger.unknown_account');
    const forged = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?cursor=abc`, headers: { cookie: treasurer } });
    expect(forged.statusCode).toBe(400);
  });

  // Only the platform's treasurers see the books: not the public, not an organizer of the same organization.
  it('refuses anyone but a treasurer of a top-level organization', async () => {
    expect((await app.inject('/api/ledger/accounts')).statusCode).toBe(401);
    const asOrganizer = await app.inject({ url: '/api/ledger/accounts', headers: { cookie: organizer } });
    expect(asOrganizer.statusCode).toBe(403);
    expect(asOrganizer.json().error.code).toBe('auth.forbidden');
  });
});
