import { and, eq, ne, sql } from 'drizzle-orm';
import { queryRows, type DbOrTx, type Tx } from '../../../db/client';
import type Stripe from 'stripe';
import { donations } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import type { EntryInput, PostingInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';
import { addRefunded, donationByCharge, refundedStatusOfRow } from '../donations-store';
import { mailTreasurersOfFailedRefund } from '../refund-failed-mail';
import { answerAskFromEvent } from '../refunds';
import { idOf } from './amounts';
import { conversionLegs, mulDivHalfEven, nonZero, type Money } from './fx';
import { isGiftPayment } from './gift-payment';
import { eventPending, isPosted, postedMetadataOf, reversalOf, standingPostingsOf } from './posted';
import { NeedsTreasurer, requireObjectId, RetryLater, type Handler, type HandlerDeps } from './types';

/**
 * A refund (full or partial). Posting: debit appeal:<id> the amount refunded, credit
 * stripe:available what left Stripe's balance, debit fees:stripe any fee on the refund (settled
 * in another currency: see convertedRefundEntries). Stripe keeps its original fee, so the appeal's
 * net falls by the whole refund. From refund.created, or a refund.updated that is not a failure
 * (a refund Stripe booked later), whichever comes first: the posting is the same.
 */
export const refundCreated: Handler = async (event, deps) => {
  requireObjectId(event, 'refund');
  const sent = event.data.object as Stripe.Refund;
  if (sent.status === 'failed' || sent.status === 'canceled') return { ignore: `refund ${sent.status}` };
  const donation = await donationByCharge(deps.db, idOf(sent.charge));
  if (!donation) {
    // Order-independence: the refund of a gift waits until its gift is posted. Stripe names the
    // PaymentIntent of every refund of one, a shop's as much as a gift's: whose payment it is, is
    // asked of the payment itself, and a refund of one that is no gift is ignored, not parked.
    if (sent.metadata?.donation_id || (await isGiftPayment(deps.stripe, idOf(sent.payment_intent)))) throw new RetryLater(`gift for refund ${sent.id} not posted yet`);
    return { ignore: 'refund of a charge that is not one of our donations' };
  }
  // Its state now, not when the event was made: a refund that failed since is never posted.
  // Its balance transaction says what left Stripe's balance, in the settlement currency.
  const refund = await deps.stripe.refunds.retrieve(sent.id, { expand: ['balance_transaction'] });
  if (refund.status === 'failed' || refund.status === 'canceled') return { ignore: `refund ${refund.status}` };
  // The gift is the one Stripe refunded, not whichever charge the event names.
  if (idOf(refund.charge) !== donation.chargeId) throw new NeedsTreasurer(`refund ${refund.id} is of charge ${idOf(refund.charge)} at Stripe, but its event names ${idOf(sent.charge)}: not posted`);
  const currency = refund.currency.toUpperCase();
  const amountMinor = fromStripeAmount(refund.amount, currency);
  const appeal = await deps.appealOf(donation.appealId);
  const settled = settledIn(refund);
  const settledCurrency = settled.currency.toUpperCase();
  const [appealAccount, available, fees] = await accountIds(deps.db, [
    chart.appeal(appeal.id, currency, appeal.organizationId),
    chart.stripeAvailable(settledCurrency),
    chart.feesStripe(settledCurrency),
  ]);
  const entries =
    settledCurrency === currency
      ? nonZero([
          { accountId: appealAccount!, amountMinor },
          { accountId: available!, amountMinor: fromStripeAmount(settled.net, currency) },
          { accountId: fees!, amountMinor: fromStripeAmount(settled.fee, currency) },
        ])
      : await convertedRefundEntries(deps, appealAccount!, available!, fees!, { currency, amountMinor }, settled);
  return {
    donationId: donation.id,
    postings: [
      {
        idempotencyKey: `stripe:${refund.id}:refund`,
        kind: 'refund',
        description: `Refund of a gift to ${appeal.slug}`,
        metadata: { donationId: donation.id, refundId: refund.id },
        entries,
      },
    ],
    apply: async (tx, [created], batch) => {
      if (!created) return;
      await tx.update(donations).set({ refundedMinor: addRefunded(amountMinor) }).where(eq(donations.id, donation.id));
      await setRefundedStatus(tx, donation.id);
      await answerAskFromEvent(tx, donation.id, refund);
      batch.progress.add({ appealId: appeal.id, grossMinor: -amountMinor, netMinor: -amountMinor, gifts: 0 });
    },
  };
};

/**
 * The refund's balance transaction, in the settlement currency. Stripe books one when it creates
 * a card refund; a refund waiting on the donor (requires_action) may have none yet, and we cannot
 * tell what left Stripe's balance: it waits (its refund.updated tries again), never guesses.
 */
function settledIn(refund: Stripe.Refund): Stripe.BalanceTransaction {
  const bt = refund.balance_transaction;
  if (!bt || typeof bt === 'string') throw new RetryLater(`refund ${refund.id} has no balance transaction yet`);
  return bt;
}

/**
 * A refund of a gift Stripe settled in another currency (¥1,000 of the ¥3,000 gift, booked as
 * -6.70 USD): debit appeal:<id> JPY 1000, credit fx:conversion JPY 1000, debit fx:conversion USD
 * 6.70, credit stripe:available USD 6.70 (and debit fees:stripe any fee the transaction carries).
 * The appeal moves by what the donor gets back; Stripe's balance by what it took.
 */
async function convertedRefundEntries(deps: HandlerDeps, appealAccount: bigint, available: bigint, fees: bigint, refunded: Money, bt: Stripe.BalanceTransaction): Promise<EntryInput[]> {
  const currency = bt.currency.toUpperCase();
  const feeMinor = fromStripeAmount(bt.fee, currency);
  return nonZero([
    { accountId: appealAccount, amountMinor: refunded.amountMinor },
    ...(await conversionLegs(deps.db, { currency: refunded.currency, amountMinor: -refunded.amountMinor }, { currency, amountMinor: fromStripeAmount(bt.amount, currency) })),
    { accountId: available, amountMinor: fromStripeAmount(bt.net, currency) },
    { accountId: fees, amountMinor: feeMinor },
  ]);
}

/**
 * A refund that failed after it was posted (the bank returned it): the money is back in the
 * appeal. Posting: the refund's reversal, linked to it.
 */
export const refundFailed: Handler = async (event, deps) => {
  requireObjectId(event, 'refund');
  const refund = event.data.object as Stripe.Refund;
  if (refund.status !== 'failed' && refund.status !== 'canceled') return { ignore: `refund ${refund.status}` };
  // Posted after this failure was ignored, the refund would never be reversed: it waits.
  // Either a refund.created or a refund.updated that is not a failure posts it.
  const postingRefund = [{ type: 'refund.created' }, { type: 'refund.updated', unlessStatus: ['failed', 'canceled'] }];
  if (await eventPending(deps.db, refund.id, postingRefund, event.id)) throw new RetryLater(`refund ${refund.id} not posted yet`);
  const refundKey = `stripe:${refund.id}:refund`;
  // The gift and the amount are the refund's as it was posted (from Stripe's copy), not the
  // event's: a charge or an amount there that is not the refund's must not move another gift.
  const posted = await postedMetadataOf(deps.db, refundKey);
  const donation = await deps.donation(typeof posted?.donationId === 'string' ? posted.donationId : undefined);
  // Why, for the treasurers' mail and the gift's page: a canceled refund has no failure_reason.
  const failureReason = refund.status === 'canceled' ? 'canceled' : (refund.failure_reason ?? 'unknown');
  const reversal = await reversalOf(deps.db, refundKey, {
    idempotencyKey: `stripe:${refund.id}:refund_failed`,
    kind: 'refund_failed',
    description: `Refund ${refund.id} returned by the bank${refund.failure_reason ? ` (${refund.failure_reason})` : ''}`,
    metadata: { donationId: donation?.id, refundId: refund.id, failureReason },
  });
  // Not posted and not waiting: it never will be, since refund.created reads the refund's state
  // from Stripe first, and that state is failed.
  if (!reversal || !donation) {
    await tellOfRefundNeverPosted(deps, refund.id);
    return { ignore: 'refund was never posted' };
  }
  const appeal = await deps.appealOf(donation.appealId);
  const [appealAccount] = await accountIds(deps.db, [chart.appeal(appeal.id, appeal.currency.toUpperCase(), appeal.organizationId)]);
  // What the refund took from the appeal, which its reversal gives back.
  const amountMinor = -(reversal.entries.find((e) => e.accountId === appealAccount)?.amountMinor ?? 0n);
  if (amountMinor <= 0n) throw new NeedsTreasurer(`refund ${refund.id} was posted without taking from appeal ${appeal.slug}: not reversed`);
  // Stripe tells of one failure twice (refund.updated, refund.failed). The event that posted the
  // reversal settled what the appeal keeps; planned again, with a loss posted since, the other
  // would take the refunded part from the appeal a second time.
  const lost = (await isPosted(deps.db, reversal.idempotencyKey)) ? { standing: false, takenMinor: 0n } : await lostToChargeback(deps, donation.id, refund.id, appealAccount!, amountMinor);
  // What the appeal keeps of the money back: none of it when the gift was charged back and lost.
  const keptMinor = amountMinor - (lost.posting ? lost.takenMinor : 0n);
  return {
    donationId: donation.id,
    postings: lost.posting ? [reversal, lost.posting] : [reversal],
    apply: async (tx, [created], batch) => {
      if (!created) return;
      // Planned against the gift's loss as it stood then: a loss posted or undone since changes what the appeal keeps.
      if ((await lossStanding(tx, donation.id)) !== lost.standing) throw new RetryLater(`refund ${refund.id}: its gift's chargeback changed meanwhile`);
      // What goes back to the loss was sized by what the appeal held of the gift when planned: another
      // posting of the gift since (a second refund's failure in this very batch) makes that stale.
      const ownKeys = [reversal.idempotencyKey, ...(lost.posting ? [lost.posting.idempotencyKey] : [])];
      if (lost.standing && (await giftPostingsCount(tx, donation.id, ownKeys)) !== lost.giftPostingsSeen) throw new RetryLater(`refund ${refund.id}: its gift's postings changed meanwhile`);
      await tx.update(donations).set({ refundedMinor: addRefunded(-amountMinor) }).where(eq(donations.id, donation.id));
      await setRefundedStatus(tx, donation.id);
      if (keptMinor !== 0n) batch.progress.add({ appealId: donation.appealId, grossMinor: keptMinor, netMinor: keptMinor, gifts: 0 });
      // Whichever of refund.updated and refund.failed posts the reversal tells the treasurers, once.
      const failure = { id: refund.id, donationId: donation.id, currency: appeal.currency.toUpperCase(), amountMinor, madeAt: new Date(refund.created * 1000), reason: failureReason };
      await mailTreasurersOfFailedRefund(tx, deps.platform, failure, appeal, deps.publicUrl);
    },
  };
};

/** The kind of the posting that gives a chargeback's loss the money of a refund the bank sent back. */
export const refundReturnedAfterLossKind = 'refund_returned_after_loss';

/**
 * Whether the gift's chargeback is lost and stays lost (its loss posted, not undone by a win on
 * appeal). Read in the batch's transaction, behind the gift's lock.
 */
async function lossStanding(db: DbOrTx, donationId: string): Promise<boolean> {
  return (await standingPostingsOf(db, 'dispute_lost', donationId)).length > 0;
}

/**
 * A refund the bank sent back after its gift was charged back and the chargeback lost. The donor
 * has the whole gift back through the bank, and the loss took from the appeal only what it still
 * held then (the refunded part had left, and Stripe took it a second time: the organization's loss,
 * disputes:lost). The refund's money is back in Stripe's balance, but it is not the appeal's again:
 * it makes good that loss. Posting, beside the refund's reversal: debit appeal:<id> what the
 * reversal gives it beyond what the appeal holds of the gift, credit disputes:lost the same (in
 * the settlement currency, through fx:conversion, at the refund's own rate). No posting when the
 * gift's chargeback is not lost, or the appeal would hold nothing of the gift back (the loss was
 * read from Stripe after the refund had failed there, and took the whole gift already).
 */
async function lostToChargeback(
  deps: HandlerDeps,
  donationId: string,
  refundId: string,
  appealAccount: bigint,
  backMinor: bigint,
): Promise<{ standing: boolean; posting?: PostingInput; takenMinor: bigint; giftPostingsSeen?: number }> {
  if (!(await lossStanding(deps.db, donationId))) return { standing: false, takenMinor: 0n };
  // One statement, so that the count says which of the gift's postings the figure is of.
  const [held] = await queryRows<{ held: string; n: number }>(
    deps.db,
    sql`SELECT (SELECT (-coalesce(sum(e.amount_minor), 0))::text FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
                 WHERE e.account_id = ${appealAccount.toString()}::bigint AND t.metadata->>'donationId' = ${donationId}) AS held,
               (SELECT count(*)::int FROM ledger_transactions t WHERE t.metadata ? 'donationId' AND t.metadata->>'donationId' = ${donationId}) AS n`,
  );
  const giftPostingsSeen = held!.n;
  // What the appeal holds of the gift once the reversal has given the refund back.
  const after = BigInt(held!.held) + backMinor;
  const takenMinor = after < 0n ? 0n : after > backMinor ? backMinor : after;
  if (takenMinor === 0n) return { standing: true, takenMinor, giftPostingsSeen };
  const refund = await deps.stripe.refunds.retrieve(refundId, { expand: ['balance_transaction'] });
  const currency = refund.currency.toUpperCase();
  const settled = settledIn(refund);
  const settledCurrency = settled.currency.toUpperCase();
  const [lostAccount] = await accountIds(deps.db, [chart.disputesLost(settledCurrency)]);
  const refundedMinor = fromStripeAmount(refund.amount, currency);
  const entries: EntryInput[] =
    settledCurrency === currency
      ? [
          { accountId: appealAccount, amountMinor: takenMinor },
          { accountId: lostAccount!, amountMinor: -takenMinor },
        ]
      : await (async () => {
          const settledMinor = mulDivHalfEven(-fromStripeAmount(settled.amount, settledCurrency), takenMinor, refundedMinor);
          return [
            { accountId: appealAccount, amountMinor: takenMinor },
            ...(await conversionLegs(deps.db, { currency, amountMinor: -takenMinor }, { currency: settledCurrency, amountMinor: -settledMinor })),
            { accountId: lostAccount!, amountMinor: -settledMinor },
          ];
        })();
  return {
    standing: true,
    takenMinor,
    giftPostingsSeen,
    posting: {
      idempotencyKey: `stripe:${refundId}:refund_returned_after_loss`,
      kind: refundReturnedAfterLossKind,
      description: `Refund ${refundId} returned by the bank after its gift was charged back: back to the chargeback's loss`,
      metadata: { donationId, refundId },
      entries: nonZero(entries),
    },
  };
}

/**
 * How many postings the gift has other than `exceptKeys`, as the batch's transaction sees them: the
 * batch's postings are staged before any entries are written, so one of a sibling planned in the
 * same batch counts here though its entries are not there yet. (`?` lets the donation index serve.)
 */
async function giftPostingsCount(tx: Tx, donationId: string, exceptKeys: string[]): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`SELECT count(*)::int AS n FROM ledger_transactions t
         WHERE t.metadata ? 'donationId' AND t.metadata->>'donationId' = ${donationId} AND t.idempotency_key NOT IN (${sql.join(exceptKeys.map((k) => sql`${k}`), sql`, `)})`,
  );
  return row!.n;
}

/**
 * A refund that failed before its refund.created was read: the ledger never took the money, so
 * there is nothing to reverse, but it did leave Stripe's balance and came back (it has a failure
 * balance transaction), and the donor has not got it: the treasurers are told all the same. Only
 * as Stripe has it now, of one of our gifts; one failed when asked (no money moved) was answered
 * to the treasurer there and then. The event stays ignored (refundsAwaiting reads that), so the
 * mail is written on its own: its dedupe key makes a replay write nothing, and what it says is
 * Stripe's fact whether or not this batch commits.
 */
async function tellOfRefundNeverPosted(deps: HandlerDeps, refundId: string): Promise<void> {
  const refund = await deps.stripe.refunds.retrieve(refundId);
  if (refund.status !== 'failed' || !refund.failure_balance_transaction) return;
  const donation = await donationByCharge(deps.db, idOf(refund.charge));
  if (!donation) return;
  const appeal = await deps.appealOf(donation.appealId);
  const currency = refund.currency.toUpperCase();
  const failure = { id: refund.id, donationId: donation.id, currency, amountMinor: fromStripeAmount(refund.amount, currency), madeAt: new Date(refund.created * 1000), reason: refund.failure_reason ?? 'unknown' };
  await mailTreasurersOfFailedRefund(deps.db, deps.platform, failure, appeal, deps.publicUrl);
}

/** refund.updated: a failure or cancellation undoes the refund; any other state posts it if not yet. */
export const refundUpdated: Handler = async (event, deps) => {
  const refund = event.data.object as Stripe.Refund;
  return refund.status === 'failed' || refund.status === 'canceled' ? refundFailed(event, deps) : refundCreated(event, deps);
};

/** The gift's status from what is refunded of it now, unless it is disputed (the dispute decides). */
async function setRefundedStatus(tx: Tx, donationId: string): Promise<void> {
  await tx.update(donations).set({ status: refundedStatusOfRow }).where(and(eq(donations.id, donationId), ne(donations.status, 'disputed')));
}
