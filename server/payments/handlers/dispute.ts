import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { DbOrTx } from '../../../db/client';
import { donations } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import type { EntryInput, PostingInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';
import { refundedStatusOfRow } from '../donations-store';
import { idOf } from './amounts';
import { conversionLegs, mulDivHalfEven, nonZero, type Money } from './fx';
import { isPosted, reversalOf, standingPostingsOf } from './posted';
import { refundReturnedAfterLossKind } from './refund';
import { RetryLater, type DisputeHandler, type HandlerDeps } from './types';

/**
 * Dispute opened: Stripe withdraws the amount and its dispute fee. Posting: debit disputes:open
 * (the amount, held pending the outcome), debit disputes:lost (the fee), credit stripe:available.
 * A gift settled in another currency is held in the settlement currency, as Stripe withdrew it.
 * Posted from charge.dispute.created or charge.dispute.funds_withdrawn, whichever comes first, and
 * only once something was withdrawn: an inquiry (status warning_…) withdraws nothing, and its gift
 * stays as it was (it may still be refunded) unless it is escalated, which withdraws then.
 */
export const disputeCreated: DisputeHandler = async (event, deps, donation) => {
  const dispute = event.data.object as Stripe.Dispute;
  if (!dispute.balance_transactions.some((bt) => bt.amount < 0)) return { ignore: `dispute ${dispute.status}: nothing withdrawn` };
  const settled = settlementCurrency(dispute);
  const currency = settled ?? dispute.currency.toUpperCase();
  const amountMinor = settled ? withdrawn(dispute, settled) : fromStripeAmount(dispute.amount, currency);
  // The withdrawal's fee: a dispute read after it was won also lists the reinstatement.
  const feeMinor = fromStripeAmount(dispute.balance_transactions.filter((bt) => bt.amount < 0).reduce((sum, bt) => sum + bt.fee, 0), currency);
  const [open, lost, available] = await accountIds(deps.db, [chart.disputesOpen(currency), chart.disputesLost(currency), chart.stripeAvailable(currency)]);
  return {
    donationId: donation.id,
    postings: [
      {
        idempotencyKey: `stripe:${dispute.id}:dispute_opened`,
        kind: 'dispute_opened',
        description: `Chargeback ${dispute.id} of a gift (${dispute.reason}): withdrawn by Stripe`,
        metadata: { donationId: donation.id, disputeId: dispute.id },
        entries: nonZero([
          { accountId: open!, amountMinor },
          { accountId: lost!, amountMinor: feeMinor },
          { accountId: available!, amountMinor: -(amountMinor + feeMinor) },
        ]),
      },
    ],
    apply: async (tx, [created]) => {
      if (created) await tx.update(donations).set({ status: 'disputed' }).where(eq(donations.id, donation.id));
    },
  };
};

/**
 * The currency Stripe booked the dispute in when it is not the charge's (the account settles in
 * another currency), or null when it is the charge's or nothing was booked.
 */
function settlementCurrency(dispute: Stripe.Dispute): string | null {
  const booked = new Set(dispute.balance_transactions.map((bt) => bt.currency.toUpperCase()));
  if (booked.size > 1) throw new Error(`dispute ${dispute.id} has balance transactions in ${[...booked].join(' and ')}`);
  const [currency] = booked;
  return currency === undefined || currency === dispute.currency.toUpperCase() ? null : currency;
}

/** What Stripe withdrew for the dispute (its negative balance transactions), as a positive amount. */
function withdrawn(dispute: Stripe.Dispute, currency: string): bigint {
  return -fromStripeAmount(dispute.balance_transactions.filter((bt) => bt.amount < 0).reduce((sum, bt) => sum + bt.amount, 0), currency);
}

/**
 * What Stripe put back when it reinstated a won dispute: the balance transactions that add money
 * (the withdrawal is the one that took it). Its fee is negative when the dispute fee came back.
 */
function reinstated(dispute: Stripe.Dispute, currency: string): { amountMinor: bigint; feeMinor: bigint } {
  const back = dispute.balance_transactions.filter((bt) => bt.amount > 0);
  if (back.length === 0) throw new Error(`dispute ${dispute.id} won without a reinstating balance transaction`);
  const other = back.find((bt) => bt.currency.toUpperCase() !== currency);
  // Withdrawn in one currency and reinstated in another has no posting: park, never guess.
  if (other) throw new Error(`dispute ${dispute.id} booked in ${currency} reinstated in ${other.currency.toUpperCase()}`);
  return {
    amountMinor: fromStripeAmount(back.reduce((sum, bt) => sum + bt.amount, 0), currency),
    feeMinor: fromStripeAmount(back.reduce((sum, bt) => sum + bt.fee, 0), currency),
  };
}

/**
 * Dispute closed. Won: Stripe reinstates the amount, and returns the dispute fee when its
 * reinstating balance transaction says so (a negative fee): debit stripe:available the net,
 * credit disputes:lost the returned fee, credit disputes:open the amount. Lost: the gift is gone
 * from the appeal (debit appeal:<id>, credit disputes:open); what Stripe took beyond what the appeal
 * still holds of the gift (a refund gave part of it back already, and the bank charged it back in
 * full) is the organization's loss (debit disputes:lost), not the appeal's. Settled in another currency, see
 * convertedClose: Stripe's accounts move by its balance transactions, the appeal by the dispute.
 */
export const disputeClosed: DisputeHandler = async (event, deps, donation) => {
  const dispute = event.data.object as Stripe.Dispute;
  if (dispute.status !== 'won' && dispute.status !== 'lost') return { ignore: `dispute ${dispute.status}` };
  if (!(await isPosted(deps.db, `stripe:${dispute.id}:dispute_opened`))) throw new RetryLater(`dispute ${dispute.id} closed before it was posted as opened`);
  // A lost chargeback may be appealed and won: the win is its end, whatever order the two arrive in.
  const lostKey = `stripe:${dispute.id}:dispute_lost`;
  const wonKey = `stripe:${dispute.id}:dispute_won`;
  if (dispute.status === 'lost' && (await isPosted(deps.db, wonKey))) return { ignore: `dispute ${dispute.id} was won on appeal after this loss` };
  const appealCurrency = dispute.currency.toUpperCase();
  const amountMinor = fromStripeAmount(dispute.amount, appealCurrency);
  const appeal = await deps.appealOf(donation.appealId);
  const settled = settlementCurrency(dispute);
  const currency = settled ?? appealCurrency;
  const [open, available, lost, appealAccount] = await accountIds(deps.db, [
    chart.disputesOpen(currency),
    chart.stripeAvailable(currency),
    chart.disputesLost(currency),
    chart.appeal(appeal.id, appealCurrency, appeal.organizationId),
  ]);
  const won = dispute.status === 'won';
  let entries: EntryInput[];
  // What a loss takes from the appeal (and its progress), in the appeal's currency.
  const fromAppeal = won ? 0n : await unrefundedPart(deps, dispute, amountMinor);
  if (settled) {
    entries = await convertedClose(deps, dispute, { open: open!, available: available!, lost: lost!, appeal: appealAccount! }, { currency: appealCurrency, amountMinor }, settled, fromAppeal);
  } else if (won) {
    const back = reinstated(dispute, currency);
    // What was held is what comes back; anything else (a partial reinstatement) has no posting yet.
    if (back.amountMinor !== amountMinor) throw new Error(`dispute ${dispute.id} held ${amountMinor} but reinstated ${back.amountMinor} ${currency}`);
    entries = nonZero(wonEntries({ open: open!, available: available!, lost: lost! }, amountMinor, back));
  } else {
    entries = nonZero([
      { accountId: appealAccount!, amountMinor: fromAppeal },
      { accountId: lost!, amountMinor: amountMinor - fromAppeal },
      { accountId: open!, amountMinor: -amountMinor },
    ]);
  }
  const metadata = { donationId: donation.id, disputeId: dispute.id };
  // Won on appeal after it was lost: the loss is undone (the appeal gets back what it gave up, the
  // organization's loss and disputes:open theirs), then the win posts as any win does.
  const undoLoss = won
    ? await reversalOf(deps.db, lostKey, {
        idempotencyKey: `stripe:${dispute.id}:dispute_lost_reversed`,
        kind: 'dispute_lost_reversed',
        description: `Chargeback ${dispute.id} of a gift to ${appeal.slug}: lost, then won on appeal`,
        metadata,
      })
    : undefined;
  // A refund the bank sent back while the loss stood went to the loss, not the appeal: undone with it.
  const undoReturns = undoLoss ? await returnsToLossUndone(deps, donation.id, dispute.id, appeal.slug) : [];
  // What the loss took from the appeal (its entry there, undone), back in its progress.
  const backToAppeal = -[undoLoss, ...undoReturns].reduce((sum, p) => sum + (p?.entries.find((e) => e.accountId === appealAccount)?.amountMinor ?? 0n), 0n);
  const closing = {
    idempotencyKey: `stripe:${dispute.id}:dispute_${dispute.status}`,
    kind: `dispute_${dispute.status}`,
    description: `Chargeback ${dispute.id} of a gift to ${appeal.slug}: ${dispute.status}`,
    metadata,
    entries,
  };
  return {
    donationId: donation.id,
    postings: undoLoss ? [undoLoss, ...undoReturns, closing] : [closing],
    apply: async (tx, created, batch) => {
      const closedNow = created.at(-1) === true;
      const undoneNow = undoLoss !== undefined && created[0] === true;
      // Planned before a loss or a win of the same dispute was posted (the same batch, or another
      // poster's, which committed first behind the donation's lock): planned again, it sees it.
      if (closedNow && (won ? !undoLoss && (await isPosted(tx, lostKey)) : await isPosted(tx, wonKey))) {
        throw new RetryLater(`dispute ${dispute.id}: its ${won ? 'loss' : 'win'} was posted meanwhile`);
      }
      // A refund's return posted to the loss since this was planned would stay on it: planned again, it is undone too.
      if (undoneNow && (await returnsToLoss(tx, donation.id)).length > 0) throw new RetryLater(`dispute ${dispute.id}: a refund of its gift came back meanwhile`);
      if (won) {
        // From the row as locked now: a refund another poster committed since planning counts.
        if (closedNow || undoneNow) {
          await tx
            .update(donations)
            .set({ status: refundedStatusOfRow })
            .where(eq(donations.id, donation.id));
        }
        if (undoneNow && backToAppeal !== 0n) batch.progress.add({ appealId: appeal.id, grossMinor: backToAppeal, netMinor: backToAppeal, gifts: 0 });
      } else if (closedNow) {
        batch.progress.add({ appealId: appeal.id, grossMinor: -fromAppeal, netMinor: -fromAppeal, gifts: 0 });
      }
    },
  };
};


/** The idempotency keys of the gift's refunds sent back while its chargeback was lost, not undone. */
const returnsToLoss = (db: DbOrTx, donationId: string) => standingPostingsOf(db, refundReturnedAfterLossKind, donationId);

/**
 * A loss won on appeal: what refunds sent back in the meantime gave the loss (refund.ts,
 * lostToChargeback) is the appeal's again, since the donor got none of it. Their reversals.
 */
async function returnsToLossUndone(deps: HandlerDeps, donationId: string, disputeId: string, slug: string): Promise<PostingInput[]> {
  const undone: PostingInput[] = [];
  for (const key of await returnsToLoss(deps.db, donationId)) {
    const reversal = await reversalOf(deps.db, key, {
      idempotencyKey: `${key}_reversed`,
      kind: `${refundReturnedAfterLossKind}_reversed`,
      description: `Chargeback ${disputeId} of a gift to ${slug} won on appeal: a refund the bank sent back is the appeal's again`,
      metadata: { donationId, disputeId },
    });
    if (reversal) undone.push(reversal);
  }
  return undone;
}

/**
 * Closing a dispute of a gift Stripe settled in another currency. What disputes:open holds is what
 * Stripe withdrew (settlement currency). Lost (¥3,000 withdrawn as 20.10 USD): debit appeal:<id>
 * JPY 3000, credit fx:conversion JPY 3000, debit fx:conversion USD 20.10, credit disputes:open USD
 * 20.10. When the appeal holds only part of the gift (¥2,000 after a ¥1,000 refund), it gives up
 * that part, converted at the withdrawal's rate (13.40 USD, half to even), and the rest of what
 * Stripe took (6.70 USD) is the organization's loss in disputes:lost. Won: as for one currency, in the settlement currency, and when the reinstatement differs
 * from the withdrawal (Stripe converts each at its day's rate) the difference goes to
 * fx:conversion: a gain when more came back.
 */
async function convertedClose(
  deps: HandlerDeps,
  dispute: Stripe.Dispute,
  accounts: { open: bigint; available: bigint; lost: bigint; appeal: bigint },
  disputed: Money,
  currency: string,
  fromAppeal: bigint,
): Promise<EntryInput[]> {
  const held = withdrawn(dispute, currency);
  if (dispute.status === 'lost') {
    const heldForAppeal = disputed.amountMinor > 0n ? mulDivHalfEven(held, fromAppeal, disputed.amountMinor) : 0n;
    return nonZero([
      { accountId: accounts.appeal, amountMinor: fromAppeal },
      ...(fromAppeal > 0n ? await conversionLegs(deps.db, { currency: disputed.currency, amountMinor: -fromAppeal }, { currency, amountMinor: -heldForAppeal }) : []),
      { accountId: accounts.lost, amountMinor: held - heldForAppeal },
      { accountId: accounts.open, amountMinor: -held },
    ]);
  }
  const back = reinstated(dispute, currency);
  const [fx] = await accountIds(deps.db, [chart.fxConversion(currency)]);
  return nonZero([...wonEntries(accounts, held, back), { accountId: fx!, amountMinor: held - back.amountMinor }]);
}

/**
 * A won dispute on Stripe's side: its balance gets the reinstatement less any fee it kept (a
 * returned fee is negative), disputes:lost gives back a returned fee, disputes:open releases what
 * it held.
 */
function wonEntries(accounts: { open: bigint; available: bigint; lost: bigint }, held: bigint, back: { amountMinor: bigint; feeMinor: bigint }): EntryInput[] {
  return [
    { accountId: accounts.available, amountMinor: back.amountMinor - back.feeMinor },
    { accountId: accounts.lost, amountMinor: back.feeMinor },
    { accountId: accounts.open, amountMinor: -held },
  ];
}

/**
 * What the appeal still holds of a disputed gift: the charge less what was refunded of it, as
 * Stripe knows it now (a refund made before the dispute may reach us after it), at most what the
 * dispute took.
 */
async function unrefundedPart(deps: HandlerDeps, dispute: Stripe.Dispute, disputedMinor: bigint): Promise<bigint> {
  const charge = await deps.stripe.charges.retrieve(idOf(dispute.charge)!);
  const left = fromStripeAmount(charge.amount - charge.amount_refunded, charge.currency.toUpperCase());
  return left < disputedMinor ? (left > 0n ? left : 0n) : disputedMinor;
}
