import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { payoutSteps } from '../helpers/payouts';

// A payout canceled while pending or returned by the bank paid nothing out: Stripe puts its amount
// back in the available balance and a later payout includes that money. Reconciliation reads what
// a payout paid from `GET /v1/balance_transactions?payout=po_…`, so the gift a returned payout had
// claimed must be listed under the payout that finally pays it, and the returned one must net to zero.

let h: PaymentsHarness;
let stripe: Stripe;

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  await h?.close();
});

const { balance, stripeAvailable, payoutOfAGift } = payoutSteps(() => h);

async function paidOutBy(payoutId: string) {
  const list = await stripe.balanceTransactions.list({ payout: payoutId, limit: 100 });
  return list.data.map((t) => ({ id: t.id, type: t.type, net: t.net }));
}

const undoings: Array<[string, (p: Stripe.Payout) => Promise<unknown>]> = [
  ['canceled', (p) => stripe.payouts.cancel(p.id)],
  ['returned by the bank', async (p) => h.emulator.controls.failPayout(p.id, 'account_closed')],
];

describe.each(undoings)('the money of a payout %s', (_name, undo) => {
  it('is paid out by the next payout, which lists the gift, and the ledger still matches Stripe', async () => {
    const first = await payoutOfAGift('5000');
    const claimed = (await paidOutBy(first.id)).filter((t) => t.type === 'charge');
    expect(claimed).toHaveLength(1);
    await undo(first);
    await h.settle();
    const bankBefore = await balance('bank:payouts');

    const next = await stripe.payouts.create({ amount: Number(await stripeAvailable()), currency: 'usd' });
    const listed = await paidOutBy(next.id);
    expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([claimed[0]!.id]));
    // What a payout lists sums to zero with its own payout transaction: it paid exactly what it claimed.
    expect(listed.reduce((sum, t) => sum + t.net, 0)).toBe(0);
    expect((await paidOutBy(first.id)).reduce((sum, t) => sum + t.net, 0)).toBe(0);
    expect(await stripeAvailable()).toBe(0n);

    h.emulator.controls.payPayouts();
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore + BigInt(next.amount));
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
