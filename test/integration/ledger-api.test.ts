import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app';
import { openAccounts, post } from '../../server/ledger/service';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { signInAs } from '../helpers/sign-in';
import { ledgerAccounts, organizations } from '../../db/schema/index';

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
    // Signed out, an account that exists and one that does not are answered alike.
    const anonymous = await Promise.all([appealAccount, '999999'].map(async (id) => (await app.inject({ url: `/api/ledger/accounts/${id}/statement` })).statusCode));
    expect(anonymous).toEqual([401, 401]);
    const forged = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?cursor=abc`, headers: { cookie: treasurer } });
    expect(forged.statusCode).toBe(400);
  });

  // Ids are Postgres bigints: one past 9223372036854775807 names nothing, and Postgres would refuse
  // to compare with it. Each is a 400 with a code, for anyone (the public included), never a 500.
  it('refuses an id, a page start or a cursor beyond a bigint with a 400', async () => {
    const beyond = ['9999999999999999999', '9223372036854775808'];
    const answer = async (url: string, cookie?: string) => {
      const res = await app.inject({ url, headers: cookie ? { cookie } : {} });
      return [res.statusCode, res.json().error?.code];
    };
    for (const id of [...beyond, '0']) {
      expect(await answer(`/api/ledger/accounts/${id}/statement`)).toEqual([400, 'validation_failed']);
      expect(await answer(`/api/ledger/accounts/${id}/statement`, treasurer)).toEqual([400, 'validation_failed']);
      expect(await answer(`/api/ledger/accounts?after=${id}`, treasurer)).toEqual([400, 'validation_failed']);
    }
    // The largest bigint is still an id: none yet.
    expect(await answer('/api/ledger/accounts/9223372036854775807/statement', treasurer)).toEqual([404, 'ledger.unknown_account']);
    expect((await app.inject({ url: '/api/ledger/accounts?after=9223372036854775807', headers: { cookie: treasurer } })).json()).toEqual({ accounts: [], nextAfter: null });
    const cursor = (text: string) => `/api/ledger/accounts/${appealAccount}/statement?cursor=${Buffer.from(text).toString('base64url')}`;
    for (const text of [`${beyond[0]}:0`, `${beyond[1]}:0`, '0:0', '1:9999999999999999999', '1:-9223372036854775809']) {
      expect(await answer(cursor(text), treasurer), text).toEqual([400, 'invalid_cursor']);
    }
    const last = (await app.inject({ url: cursor('9223372036854775807:-9223372036854775808'), headers: { cookie: treasurer } })).json();
    expect(last.lines).toHaveLength(5);
    // A balance no account can reach after the cursor's entries (this one holds credits only).
    expect(await answer(cursor('9223372036854775807:9223372036854775807'), treasurer)).toEqual([400, 'invalid_cursor']);
  });

  // Only the platform's treasurers see the books: not the public, not an organizer of the same organization.
  it("refuses anyone but a treasurer of the platform's organization", async () => {
    expect((await app.inject('/api/ledger/accounts')).statusCode).toBe(401);
    const asOrganizer = await app.inject({ url: '/api/ledger/accounts', headers: { cookie: organizer } });
    expect(asOrganizer.statusCode).toBe(403);
    expect(asOrganizer.json().error.code).toBe('auth.forbidden');
  });
});

describe('treasurers of one organization and statement dates', () => {
  // A local's treasurer keeps its own books: its appeals' accounts, not Stripe's shared balances.
  it("shows a local treasurer only the local's accounts", async () => {
    const [federation] = await testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'federation'));
    const [local] = await testDb.database.db
      .insert(organizations)
      .values({ slug: 'osaka-local', name: 'Osaka local', kind: 'local', defaultCurrency: 'JPY', parentId: federation!.id })
      .returning();
    const [own] = await testDb.database.db
      .insert(ledgerAccounts)
      .values({ code: 'appeal:osaka-own', currency: 'JPY', type: 'liability', organizationId: local!.id })
      .returning();
    const localTreasurer = await signInAs(app, 'local-treasurer@example.org', { organizationId: local!.id, role: 'treasurer' });
    const res = await app.inject({ url: '/api/ledger/accounts', headers: { cookie: localTreasurer } });
    expect(res.statusCode).toBe(200);
    expect(res.json().accounts.map((a: { code: string }) => a.code)).toEqual(['appeal:osaka-own']);
    expect((await app.inject({ url: `/api/ledger/accounts/${own!.id}/statement`, headers: { cookie: localTreasurer } })).statusCode).toBe(200);
    const shared = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement`, headers: { cookie: localTreasurer } });
    expect(shared.statusCode).toBe(403);
  });

  // A date range keeps the running balances exact: they are the account's balances after each entry.
  it('cuts a statement to a date range with exact running balances', async () => {
    const all = (await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?limit=500`, headers: { cookie: treasurer } })).json();
    const today = new Date().toISOString().slice(0, 10);
    const ranged = (await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?from=${today}&to=${today}&limit=500`, headers: { cookie: treasurer } })).json();
    expect(ranged.lines).toEqual(all.lines);
    const past = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?to=2000-01-01`, headers: { cookie: treasurer } });
    expect(past.json().lines).toEqual([]);
    const future = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?from=2999-01-01`, headers: { cookie: treasurer } });
    expect(future.json().lines).toEqual([]);
    // A reader's mistake answers a 400 with a code a page can say on the right field, never a 404.
    const backwards = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?from=2026-12-31&to=2026-01-01`, headers: { cookie: treasurer } });
    expect([backwards.statusCode, backwards.json().error.code]).toEqual([400, 'ledger.statement_dates_reversed']);
    const malformed = await app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?from=2026-13-45`, headers: { cookie: treasurer } });
    expect([malformed.statusCode, malformed.json().error.code, malformed.json().error.details[0].path]).toEqual([400, 'validation_failed', '/from']);
  });

  // A treasurer reads the lines' times on her own clock: the days she asks for are on it too.
  it("cuts a statement to days of the zone it is asked in", async () => {
    const statementOf = (query: string) => app.inject({ url: `/api/ledger/accounts/${appealAccount}/statement?limit=500&${query}`, headers: { cookie: treasurer } });
    const all = (await statementOf('')).json();
    const newest = new Date(all.lines[0].postedAt);
    // A zone whose day is not UTC's at the newest posting: west of UTC before noon UTC, else east.
    const zone = newest.getUTCHours() < 11 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
    const dayThere = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
    const utcDay = newest.toISOString().slice(0, 10);
    expect(dayThere(all.lines[0].postedAt)).not.toBe(utcDay);
    const theirs = (await statementOf(`from=${dayThere(all.lines.at(-1).postedAt)}&to=${dayThere(all.lines[0].postedAt)}&zone=${zone}`)).json();
    expect(theirs.lines).toEqual(all.lines);
    // UTC's day of the newest posting, on her clock, holds none of the postings made on her other day.
    const utcDayThere = (await statementOf(`from=${utcDay}&to=${utcDay}&zone=${zone}`)).json();
    expect(utcDayThere.lines.filter((l: { postedAt: string }) => dayThere(l.postedAt) !== utcDay)).toEqual([]);
    // The calendar's first and last days, on the clocks furthest from UTC, are days like any other.
    for (const query of ['from=1970-01-01&zone=Pacific/Kiritimati', 'to=9999-12-30&zone=Pacific/Pago_Pago', 'from=1970-01-01&to=9999-12-30&zone=Etc/GMT%2B12']) {
      expect((await statementOf(query)).statusCode, query).toBe(200);
    }
    const unknown = await statementOf('from=2026-12-07&zone=Mars/Olympus_Mons');
    expect([unknown.statusCode, unknown.json().error.code, unknown.json().error.details[0].path]).toEqual([400, 'validation_failed', '/zone']);
  });
});
