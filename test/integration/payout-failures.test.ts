import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { payoutSteps } from '../helpers/payouts';
import { holdLock } from '../helpers/row-lock';

// A payout the bank sends back (closed account, wrong details), before or days after Stripe marked
// it paid: the ledger's bank account must not keep money that never stayed there, whatever order
// Stripe delivers the paid and failed events in.

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
  return queryRows<{ kind: string; description: string; reverses: boolean }>(
    h.testDb.database.db,
    sql`SELECT kind, description, reverses_id IS NOT NULL AS reverses FROM ledger_transactions WHERE metadata->>'payoutId' = ${payoutId} ORDER BY id`,
  );
}

describe('a payout the bank returns', () => {
  it('is reversed out of the bank account when it had been paid, and the ledger matches Stripe again', async () => {
    const payout = await payoutOfAGift('5000');
    const bankBefore = await balance('bank:payouts');
    h.emulator.controls.payPayouts();
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore + BigInt(payout.amount));

    h.emulator.controls.failPayout(payout.id, 'account_closed');
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore);
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
    // A treasurer's statement of bank:payouts reads these lines.
    expect(await postingsOf(payout.id)).toEqual([
      { kind: 'payout_paid', description: `Payout ${payout.id} to the bank`, reverses: false },
      { kind: 'payout_failed', description: `Payout ${payout.id} returned by the bank (account_closed)`, reverses: true },
    ]);
  });

  // Found by the event fuzz: the failure was taken from the event alone.
  it('reverses nothing when an event says a payout failed that Stripe shows paid', async () => {
    const payout = await payoutOfAGift('3000');
    h.emulator.controls.payPayouts();
    await h.settle();
    const bank = await balance('bank:payouts');
    const paid = await h.emulatorEvent('payout.paid', payout.id);
    await h.deliver({ ...paid, id: `evt_not_failed_${payout.id}`, type: 'payout.failed' });
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bank);
    expect(await postingsOf(payout.id)).toEqual([{ kind: 'payout_paid', description: `Payout ${payout.id} to the bank`, reverses: false }]);
    const [stored] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = ${`evt_not_failed_${payout.id}`}`);
    expect(stored!.status).toBe('ignored');
  });

  it('posts nothing when it fails before it is paid', async () => {
    const payout = await payoutOfAGift('2000');
    const bankBefore = await balance('bank:payouts');
    h.emulator.controls.failPayout(payout.id, 'no_account');
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore);
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
    expect(await postingsOf(payout.id)).toEqual([]);
  });

  // Stripe retries for days: the paid event may arrive after the failure, or wait beside it.
  it.each([
    ['the failure is delivered first', async (failed: Stripe.Event, paid: Stripe.Event) => {
      await h.deliver(failed);
      await h.drain();
      await h.deliver(paid);
      await h.drain();
    }],
    ['both wait in the inbox together', async (failed: Stripe.Event, paid: Stripe.Event) => {
      await h.deliver(paid);
      await h.deliver(failed);
      await h.drain();
      // The failure waits while its payout's paid event is still to be posted.
      const [row] = await queryRows<{ status: string; last_error: string | null }>(h.testDb.database.db, sql`SELECT status, last_error FROM stripe_events WHERE id = ${failed.id}`);
      expect(row).toEqual({ status: 'pending', last_error: expect.stringContaining('not posted yet') });
      await h.drain();
    }],
  ])('posts nothing when %s', async (_case, deliverBoth) => {
    const payout = await payoutOfAGift('3000');
    const bankBefore = await balance('bank:payouts');
    h.emulator.controls.pause();
    try {
      h.emulator.controls.payPayouts();
      h.emulator.controls.failPayout(payout.id);
      await deliverBoth(await h.emulatorEvent('payout.failed', payout.id), await h.emulatorEvent('payout.paid', payout.id));
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await balance('bank:payouts')).toBe(bankBefore);
    expect(await balance('stripe:available')).toBe(await stripeAvailable());
    expect(await postingsOf(payout.id)).toEqual([]);
  });

  // The race the wait is for: a poster plans payout.paid while Stripe still says paid and is
  // committing it when a second poster gets the failure. Ignored as "never posted", the payout
  // would stay in the bank account for good.
  it('a failure planned while another poster commits its payout waits for it, then reverses it', async () => {
    const payout = await payoutOfAGift('4000');
    const bankBefore = await balance('bank:payouts');
    h.emulator.controls.payPayouts();
    await h.emulator.controls.flush(); // payout.paid is in the inbox, not posted
    const lock = await holdLock(h.testDb.url, "SELECT 1 FROM ledger_accounts WHERE code = 'stripe:available' AND currency = 'USD' FOR UPDATE", []);
    try {
      const first = h.drain();
      await lock.waitedOn();
      h.emulator.controls.failPayout(payout.id);
      await h.emulator.controls.flush();
      expect(await h.drain()).toMatchObject({ failed: 1 });
      await lock.release();
      expect((await first).failed).toBe(0);
      expect(await balance('bank:payouts')).toBe(bankBefore + BigInt(payout.amount));
      await h.drain();
      expect(await balance('bank:payouts')).toBe(bankBefore);
      expect(await balance('stripe:available')).toBe(await stripeAvailable());
    } finally {
      await lock.end();
    }
  });

  // Stripe answers 404 for a payout it does not have, on every attempt: the event is parked at its
  // first, saying so, and, parked, it is kept out of the check below that nothing is left over.
  it.each(['payout.failed', 'payout.paid'])('parks a %s event whose payout Stripe does not have at once, saying why', async (type) => {
    const id = `evt_${type.replace('.', '_')}_unknown_payout`;
    await h.deliver({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: 'po_does_not_exist', object: 'payout', amount: 5000, currency: 'usd', status: type === 'payout.paid' ? 'paid' : 'failed', failure_code: 'account_closed' } } });
    const bank = await balance('bank:payouts');
    await h.drain();
    const [row] = await queryRows<{ status: string; attempts: number; last_error: string | null }>(h.testDb.database.db, sql`SELECT status::text, attempts, last_error FROM stripe_events WHERE id = ${id}`);
    expect(row).toEqual({ status: 'parked', attempts: 1, last_error: "No such payout: 'po_does_not_exist' (StripeInvalidRequestError, HTTP 404, resource_missing)" });
    expect(await balance('bank:payouts')).toBe(bank);
    await h.testDb.database.db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id = ${id}`);
  });

  it('leaves a ledger that verifies and no event pending or parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [left] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status IN ('pending', 'parked')`);
    expect(left!.n).toBe(0);
  });

  // The control is reachable over HTTP for the demo and e2e tests, with Stripe-shaped errors.
  it('is a control of the emulator over HTTP too', async () => {
    const payout = await payoutOfAGift('1000');
    const fail = (id: string, body: unknown) => fetch(`${h.emulator.url}/_emulator/payouts/${id}/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await fail(payout.id, { code: 'not_a_code' })).status).toBe(400);
    const failed = await fail(payout.id, { code: 'account_frozen' });
    expect(await failed.json()).toMatchObject({ id: payout.id, status: 'failed', failure_code: 'account_frozen', failure_balance_transaction: expect.stringMatching(/^txn_/) });
    expect((await fail(payout.id, {})).status).toBe(400);
    expect((await fail('po_missing', {})).status).toBe(404);
    await h.settle();
  });
});
