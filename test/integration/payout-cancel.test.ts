import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { payoutSteps } from '../helpers/payouts';

// A treasurer cancels a payout still pending at Stripe (POST /v1/payouts/:id/cancel). Stripe took
// its amount from the available balance when it made the payout (a `payout` balance transaction)
// and puts it back on cancel (`payout_cancel`). The ledger moves a payout only when it reaches the
// bank, which a canceled one never does: whatever order and however often Stripe tells of it,
// nothing reaches bank:payouts and stripe:available is Stripe's available balance again.

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

async function postingsOf(payoutId: string) {
  return queryRows<{ kind: string }>(h.testDb.database.db, sql`SELECT kind FROM ledger_transactions WHERE metadata->>'payoutId' = ${payoutId} ORDER BY id`);
}

async function leftUnposted() {
  return queryRows<{ type: string }>(h.testDb.database.db, sql`SELECT type FROM stripe_events WHERE status IN ('pending', 'parked')`);
}

describe('a payout canceled while pending', () => {
  it('puts its amount back at Stripe as a payout_cancel balance transaction, and the ledger moves nothing', async () => {
    h.emulator.controls.setDelivery({ times: 2, shuffle: true });
    try {
      const payout = await payoutOfAGift('5000');
      const bankBefore = await balance('bank:payouts');
      const availableBefore = await stripeAvailable();
      const canceled = await stripe.payouts.cancel(payout.id, {}, { idempotencyKey: `cancel-${payout.id}` });
      expect(canceled).toMatchObject({ status: 'canceled', failure_code: null, failure_balance_transaction: expect.stringMatching(/^txn_/) });
      const back = await stripe.balanceTransactions.retrieve(String(canceled.failure_balance_transaction));
      expect(back).toMatchObject({ type: 'payout_cancel', amount: payout.amount, fee: 0, source: payout.id, status: 'available' });
      expect(await stripeAvailable()).toBe(availableBefore + BigInt(payout.amount));
      await h.settle();
      expect(await leftUnposted()).toEqual([]);
      expect(await postingsOf(payout.id)).toEqual([]);
      expect(await balance('bank:payouts')).toBe(bankBefore);
      expect(await balance('stripe:available')).toBe(await stripeAvailable());
    } finally {
      h.emulator.controls.setDelivery({ times: 1, shuffle: false });
    }
  });

  it('is refused by Stripe once the payout is paid, canceled already, or not Stripe’s', async () => {
    const payout = await payoutOfAGift('2000');
    await stripe.payouts.cancel(payout.id);
    await expect(stripe.payouts.cancel(payout.id)).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('only a pending payout can be canceled') });
    const paid = await payoutOfAGift('3000');
    h.emulator.controls.payPayouts();
    await expect(stripe.payouts.cancel(paid.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.payouts.cancel('po_missing')).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await h.settle();
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
  });

  // An event that says a payout is paid while Stripe shows it pending (a forged or mistaken one)
  // was posted to the bank account, where a cancel then left money that never went there.
  it('moves nothing to the bank for an event saying paid a payout Stripe shows pending, which is then canceled', async () => {
    const payout = await payoutOfAGift('4000');
    const bankBefore = await balance('bank:payouts');
    await h.settle();
    const created = await h.emulatorEvent('payout.created', payout.id);
    const id = `evt_paid_but_pending_${payout.id}`;
    await h.deliver({ ...created, id, type: 'payout.paid', data: { object: { ...payout, status: 'paid' } } });
    await h.settle();
    await stripe.payouts.cancel(payout.id);
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore);
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
    expect(await postingsOf(payout.id)).toEqual([]);
    const [stored] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = ${id}`);
    expect(stored!.status).toBe('ignored');
  });

  it('leaves a ledger that verifies and no event pending or parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    expect(await leftUnposted()).toEqual([]);
  });
});
