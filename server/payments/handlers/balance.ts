import type Stripe from 'stripe';
import { fromStripeAmount } from '../../ledger/money';
import type { PostingInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';
import type { Handler } from './types';

const availablePagesMax = 20;

/**
 * Funds available: Stripe moved pending money to available. Posting per charge balance
 * transaction: debit stripe:available, credit stripe:pending, its net. The event carries only
 * totals, so we list the balance transactions; posting by their id makes a re-list a no-op.
 */
export const balanceAvailable: Handler = async (_event, deps) => {
  const postings: PostingInput[] = [];
  let pages = 0;
  let startingAfter: string | undefined;
  for (;;) {
    const page: Stripe.ApiList<Stripe.BalanceTransaction> = await deps.stripe.balanceTransactions.list({ limit: 100, starting_after: startingAfter });
    for (const bt of page.data) {
      if (bt.status !== 'available' || (bt.type !== 'charge' && bt.type !== 'payment')) continue;
      const currency = bt.currency.toUpperCase();
      const [available, pending] = await accountIds(deps.db, [chart.stripeAvailable(currency), chart.stripePending(currency)]);
      const net = fromStripeAmount(bt.net, currency);
      if (net === 0n) continue;
      postings.push({
        idempotencyKey: `stripe:${bt.id}:available`,
        kind: 'funds_available',
        metadata: { balanceTransactionId: bt.id },
        entries: [
          { accountId: available!, amountMinor: net },
          { accountId: pending!, amountMinor: -net },
        ],
      });
    }
    if (!page.has_more || ++pages >= availablePagesMax) break;
    startingAfter = page.data.at(-1)?.id;
  }
  return { postings };
};

/** Payout paid: the money reached the bank. Posting: debit bank:payouts, credit stripe:available. */
export const payoutPaid: Handler = async (event, deps) => {
  const payout = event.data.object as Stripe.Payout;
  const currency = payout.currency.toUpperCase();
  const amountMinor = fromStripeAmount(payout.amount, currency);
  const [bank, available] = await accountIds(deps.db, [chart.bankPayouts(currency), chart.stripeAvailable(currency)]);
  return {
    postings: [
      {
        idempotencyKey: `stripe:${payout.id}:paid`,
        kind: 'payout_paid',
        metadata: { payoutId: payout.id },
        entries: [
          { accountId: bank!, amountMinor },
          { accountId: available!, amountMinor: -amountMinor },
        ],
      },
    ],
  };
};
