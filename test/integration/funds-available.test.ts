import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { post, verifyLedger } from '../../server/ledger/service';
import { accountIds, chart } from '../../server/payments/chart';
import { postDueFunds } from '../../server/payments/funds-available';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// Stripe keeps a card payment's money pending for some days, then makes it available. The
// balance.available event's listing reaches only the newest balance transactions, so on a busy
// appeal older gifts' money would stay in stripe:pending for good: each gift keeps the day its
// money becomes available, and a job moves it then.

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

const day = 86_400_000;

async function balances(currency: string) {
  const rows = await queryRows<{ code: string; balance: string }>(
    h.testDb.database.db,
    sql`SELECT code, balance_minor::text AS balance FROM ledger_accounts WHERE currency = ${currency} AND code IN ('stripe:pending', 'stripe:available')`,
  );
  const of = (code: string) => BigInt(rows.find((r) => r.code === code)?.balance ?? '0');
  return { pending: of('stripe:pending'), available: of('stripe:available') };
}

const transactions = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`))[0]!.n;

async function paidGift(slug: string, amountMinor: string) {
  const { donationId, checkoutUrl } = await h.donate(slug, { amountMinor });
  expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  await h.settle();
  const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
  return d!;
}

describe('funds becoming available', () => {
  it("moves each gift's net to stripe:available on the day Stripe makes it available, once", async () => {
    const gifts = [await paidGift('buck-a-brick', '2500'), await paidGift('buck-a-brick', '1000'), await paidGift('osaka-care-strike-fund', '3000')];
    const stripe = h.emulator.client();
    for (const g of gifts) {
      const bt = await stripe.balanceTransactions.retrieve(g.pendingBalanceTransactionId!);
      expect(g.fundsAvailableOn!.getTime()).toBe(bt.available_on * 1000);
      expect(bt.status).toBe('pending');
    }
    const before = { usd: await balances('USD'), jpy: await balances('JPY') };
    expect(before.usd.pending).toBeGreaterThan(0n);

    // Not yet due: nothing moves.
    expect(await postDueFunds(h.testDb.database.db, undefined, new Date())).toBe(0);
    expect(await balances('USD')).toEqual(before.usd);

    // Three days on, every gift's net is available, all of it and nothing more.
    const later = new Date(Date.now() + 3 * day);
    // A batch at a time (the job goes on at once while a batch was full).
    expect(await postDueFunds(h.testDb.database.db, undefined, later, 2)).toBe(2);
    expect(await postDueFunds(h.testDb.database.db, undefined, later, 2)).toBe(1);
    expect(await balances('USD')).toEqual({ pending: 0n, available: before.usd.available + before.usd.pending });
    expect(await balances('JPY')).toEqual({ pending: 0n, available: before.jpy.available + before.jpy.pending });
    const moved = await queryRows<{ k: string }>(h.testDb.database.db, sql`SELECT idempotency_key AS k FROM ledger_transactions WHERE kind = 'funds_available' ORDER BY k`);
    expect(moved.map((r) => r.k)).toEqual(gifts.map((g) => `stripe:${g.pendingBalanceTransactionId}:available`).sort());
    const left = await h.testDb.database.db.select().from(donations).where(sql`${donations.fundsAvailableOn} IS NOT NULL`);
    expect(left).toEqual([]);
    expect(await postDueFunds(h.testDb.database.db, undefined, later)).toBe(0);

    // Stripe's own balance.available event lists the same balance transactions: nothing moves twice.
    const count = await transactions();
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    expect(await transactions()).toBe(count);
    expect(await balances('USD')).toEqual({ pending: 0n, available: before.usd.available + before.usd.pending });
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  it('finds a gift already moved by the balance.available event, and only clears it', async () => {
    const gift = await paidGift('buck-a-brick', '4200');
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    const after = await balances('USD');
    const count = await transactions();
    expect(await postDueFunds(h.testDb.database.db, undefined, new Date(Date.now() + 3 * day))).toBe(1);
    expect(await transactions()).toBe(count);
    expect(await balances('USD')).toEqual(after);
    const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, gift.id));
    expect(row).toMatchObject({ pendingBalanceTransactionId: null, fundsAvailableOn: null });
  });

  // A gift the ledger refuses (here a posting under its key with other amounts) is set aside for a
  // day, and the others of its batch move all the same.
  it('sets aside a gift whose move the ledger refuses, and moves the rest', async () => {
    const bad = await paidGift('buck-a-brick', '1300');
    const good = await paidGift('buck-a-brick', '1400');
    const [available, pending] = await accountIds(h.testDb.database.db, [chart.stripeAvailable('USD'), chart.stripePending('USD')]);
    await post(h.testDb.database.db, [{ idempotencyKey: `stripe:${bad.pendingBalanceTransactionId}:available`, kind: 'funds_available', entries: [{ accountId: available!, amountMinor: 1n }, { accountId: pending!, amountMinor: -1n }] }]);
    const later = new Date(Date.now() + 3 * day);
    expect(await postDueFunds(h.testDb.database.db, undefined, later)).toBe(2);
    const rows = await h.testDb.database.db.select().from(donations).where(sql`${donations.id} IN (${bad.id}, ${good.id})`);
    expect(rows.find((r) => r.id === good.id)).toMatchObject({ fundsAvailableOn: null });
    expect(rows.find((r) => r.id === bad.id)!.fundsAvailableOn!.getTime()).toBe(later.getTime() + day);
    expect(await postDueFunds(h.testDb.database.db, undefined, later)).toBe(0);
  });
});
