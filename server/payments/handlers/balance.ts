import type Stripe from 'stripe';
import { fromStripeAmount } from '../../ledger/money';
import type { PostingInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';
import { fundsAvailablePosting } from '../funds-available';
import { idOf } from './amounts';
import { eventPending, reversalOf } from './posted';
import { requireObjectId, RetryLater, type Handler } from './types';

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
      postings.push(fundsAvailablePosting({ balanceTransactionId: bt.id, source: idOf(bt.source) ?? bt.id, netMinor: net, available: available!, pending: pending! }));
    }
    if (!page.has_more || ++pages >= availablePagesMax) break;
    startingAfter = page.data.at(-1)?.id;
  }
  return { postings };
};

/**
 * Payout paid: the money reached the bank. Posting: debit bank:payouts, credit stripe:available.
 * A payout can still fail days after it was paid, and Stripe may deliver the two events in either
 * order: its state is read from Stripe first, and only one Stripe shows paid is posted (one that
 * failed since has then nothing to undo; one still pending may yet be canceled, and its own
 * payout.paid comes when it is paid).
 *
 * payout.canceled has no handler: only a pending payout can be canceled, the ledger moves a payout
 * only once paid, and Stripe's payout_cancel puts back what its payout transaction took.
 */
export const payoutPaid: Handler = async (event, deps) => {
  requireObjectId(event, 'payout');
  const payout = event.data.object as Stripe.Payout;
  const current = await deps.stripe.payouts.retrieve(payout.id);
  if (current.status !== 'paid') return { ignore: `payout ${current.status} at Stripe, not paid` };
  // What Stripe paid out, as it has it: not the event's copy.
  const currency = current.currency.toUpperCase();
  const amountMinor = fromStripeAmount(current.amount, currency);
  const [bank, available] = await accountIds(deps.db, [chart.bankPayouts(currency), chart.stripeAvailable(currency)]);
  return {
    postings: [
      {
        idempotencyKey: `stripe:${payout.id}:paid`,
        kind: 'payout_paid',
        description: `Payout ${payout.id} to the bank`,
        metadata: { payoutId: payout.id },
        entries: [
          { accountId: bank!, amountMinor },
          { accountId: available!, amountMinor: -amountMinor },
        ],
      },
    ],
  };
};

/**
 * Payout failed: the bank sent it back, and Stripe put the amount back in the available balance.
 * If it was posted as paid, that posting is reversed (the bank account never kept the money);
 * if not, nothing moved in the ledger and nothing is posted.
 */
export const payoutFailed: Handler = async (event, deps) => {
  requireObjectId(event, 'payout');
  const payout = event.data.object as Stripe.Payout;
  // Only a return Stripe has: an event saying so of a payout Stripe shows paid must not take it
  // out of the bank account.
  const current = await deps.stripe.payouts.retrieve(payout.id);
  if (current.status !== 'failed') return { ignore: `payout ${current.status} at Stripe, not failed` };
  // Posted after this failure was ignored, the payout would stay in the bank account for good.
  if (await eventPending(deps.db, payout.id, [{ type: 'payout.paid' }])) throw new RetryLater(`payout ${payout.id} paid, not posted yet`);
  const reversal = await reversalOf(deps.db, `stripe:${payout.id}:paid`, {
    idempotencyKey: `stripe:${payout.id}:failed`,
    kind: 'payout_failed',
    description: `Payout ${payout.id} returned by the bank${current.failure_code ? ` (${current.failure_code})` : ''}`,
    metadata: { payoutId: payout.id, failureCode: current.failure_code },
  });
  // Not posted and not waiting: it never will be, since payout.paid reads the payout's state first.
  if (!reversal) return { ignore: 'payout was never posted as paid' };
  return { postings: [reversal] };
};
