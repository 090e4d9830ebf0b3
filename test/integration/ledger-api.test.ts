import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app';
import { openAccounts, post } from '../../server/ledger/service';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';

let testDb: TestDatabase;
let demo: FastifyInstance;
let production: FastifyInstance;
let appealAccount: bigint;

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
      entries: [
        { accountId: ids.get('stripe:pending|JPY')!, amountMinor: 3000n },
        { accountId: appealAccount, amountMinor: -3000n },
      ],
    })),
  );
  // No DATABASE_URL in the config: the embedded demo, where the read-only ledger is open.
  demo = await buildApp({ config: testConfig(), database: testDb.database });
  production = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
});

afterAll(async () => {
  await demo?.close();
  await production?.close();
  await testDb?.drop();
});

describe('read-only ledger API', () => {
  // Treasurers read balances as exact strings of minor units: ¥15,000 is "−15000", not 150.
  it('lists accounts with exact balances', async () => {
    const res = await demo.inject('/api/ledger/accounts?currency=JPY');
    expect(res.statusCode).toBe(200);
    const appeal = res.json().accounts.find((a: { code: string }) => a.code === 'appeal:osaka');
    expect(appeal).toMatchObject({ currency: 'JPY', type: 'liability', balanceMinor: '-15000', entryCount: '5' });
  });

  // The statement pages newest first and the running balance is right across pages.
  it('pages a statement with running balances', async () => {
    const first = (await demo.inject(`/api/ledger/accounts/${appealAccount}/statement?limit=3`)).json();
    expect(first.lines.map((l: { balanceAfterMinor: string }) => l.balanceAfterMinor)).toEqual(['-15000', '-12000', '-9000']);
    const second = (await demo.inject(`/api/ledger/accounts/${appealAccount}/statement?limit=3&cursor=${first.nextCursor}`)).json();
    expect(second.lines.map((l: { balanceAfterMinor: string }) => l.balanceAfterMinor)).toEqual(['-6000', '-3000']);
    expect(second.nextCursor).toBeNull();
  });

  it('unknown account is a 404, a forged cursor a 400', async () => {
    expect((await demo.inject('/api/ledger/accounts/999999/statement')).json().error.code).toBe('ledger.unknown_account');
    const forged = await demo.inject(`/api/ledger/accounts/${appealAccount}/statement?cursor=abc`);
    expect(forged.statusCode).toBe(400);
  });

  // Until the treasurer role exists, a real deployment must not expose the ledger to anyone.
  it('is not registered when running against a real database', async () => {
    expect((await production.inject('/api/ledger/accounts')).statusCode).toBe(404);
  });
});
