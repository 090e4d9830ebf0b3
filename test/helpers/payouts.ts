import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { queryRows } from '../../db/client';
import type { PaymentsHarness } from './payments-harness';

/**
 * What the payout tests read and do, for the harness `harness()` answers once started: a ledger
 * account's USD balance, Stripe's available USD balance, and a payout of a paid gift's funds.
 */
export function payoutSteps(harness: () => PaymentsHarness) {
  const stripe = () => harness().emulator.client();
  async function balance(code: string): Promise<bigint> {
    const [row] = await queryRows<{ b: string }>(harness().testDb.database.db, sql`SELECT balance_minor::text AS b FROM ledger_accounts WHERE code = ${code} AND currency = 'USD'`);
    return BigInt(row?.b ?? '0');
  }
  /** Stripe's available USD balance, which the ledger's stripe:available must equal once no payout is in transit. */
  async function stripeAvailable(): Promise<bigint> {
    return BigInt((await stripe().balance.retrieve()).available.find((b) => b.currency === 'usd')!.amount);
  }
  /** A paid gift whose funds are available, then a payout of everything available. */
  async function payoutOfAGift(amountMinor: string): Promise<Stripe.Payout> {
    const h = harness();
    const { sessionId } = await h.donate('buck-a-brick', { amountMinor });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    return stripe().payouts.create({ amount: Number(await stripeAvailable()), currency: 'usd' });
  }
  return { balance, stripeAvailable, payoutOfAGift };
}
