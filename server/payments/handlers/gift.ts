import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { donations, type Appeal, type Donation } from '../../../db/schema/index';
import type { EntryInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';
import { appealTitleIn } from '../donations-store';
import { idOf, type ChargeAmounts } from './amounts';
import { conversionLegs, mulDivHalfEven, nonZero, type Money } from './fx';
import { nextChargeAfter } from './next-charge';
import { splitOfCharge } from '../renewal-amount';
import { NeedsTreasurer, type Handler, type HandlerDeps, type Plan } from './types';

/** A gift as the appeal sees it, in the appeal's currency, with the entries that post it. */
interface GiftPosting {
  entries: EntryInput[];
  currency: string;
  grossMinor: bigint;
  netMinor: bigint;
  feeMinor: bigint;
}

/**
 * A gift received. Posting (10.00 USD, fee 0.59): debit stripe:pending 9.41, debit fees:stripe
 * 0.59, credit appeal:<id> 10.00 — the appeal shows 10.00 raised and 9.41 net.
 *
 * Settled in another currency (¥3,000 booked as 20.10 USD, fee 0.88): credit appeal:<id> JPY
 * 3000, debit fx:conversion JPY 3000, credit fx:conversion USD 20.10, debit stripe:pending USD
 * 19.22, debit fees:stripe USD 0.88. The appeal raised what the donor paid. Its net and fee in the
 * appeal's currency are an estimate at the settlement rate (gross × net / amount of the balance
 * transaction, half to even): Stripe's fee exists only in USD. That fee is the donation's
 * fee_minor, so fee + net = gross in the appeal's currency, like any other gift.
 */
async function giftPosting(deps: HandlerDeps, appeal: Appeal, paid: ChargeAmounts): Promise<GiftPosting> {
  const charged = chargedInAppealCurrency(appeal, paid);
  const [pending, fees, appealAccount] = await accountIds(deps.db, [
    chart.stripePending(paid.currency),
    chart.feesStripe(paid.currency),
    chart.appeal(appeal.id, charged.currency, appeal.organizationId),
  ]);
  const conversion = paid.charged ? await conversionLegs(deps.db, charged, { currency: paid.currency, amountMinor: paid.grossMinor }) : [];
  const entries = nonZero([
    { accountId: pending!, amountMinor: paid.netMinor },
    { accountId: fees!, amountMinor: paid.feeMinor },
    { accountId: appealAccount!, amountMinor: -charged.amountMinor },
    ...conversion,
  ]);
  const netMinor = paid.charged ? mulDivHalfEven(charged.amountMinor, paid.netMinor, paid.grossMinor) : paid.netMinor;
  return { entries, currency: charged.currency, grossMinor: charged.amountMinor, netMinor, feeMinor: charged.amountMinor - netMinor };
}

/**
 * What the donor paid, which must be in the appeal's currency. We ask Checkout for it, but Stripe
 * may present another (Adaptive Pricing, a session made elsewhere). Posted as it came, the appeal's
 * account and its public total would add up two currencies' minor units: a treasurer decides.
 */
function chargedInAppealCurrency(appeal: Appeal, paid: ChargeAmounts): Money {
  const charged: Money = paid.charged ?? { currency: paid.currency, amountMinor: paid.grossMinor };
  if (charged.currency !== appeal.currency.toUpperCase()) {
    throw new NeedsTreasurer(`charge ${paid.chargeId} was paid in ${charged.currency}, but appeal ${appeal.slug} raises ${appeal.currency.toUpperCase()}: not posted`);
  }
  return charged;
}

/** A monthly gift's payment: the invoice it paid, and when Stripe charges the gift next. */
interface MonthlyPayment {
  invoiceId: string;
  nextChargeAt: Date | null;
}

async function giftPlan(deps: HandlerDeps, donation: Donation, paid: ChargeAmounts, monthly?: MonthlyPayment): Promise<Plan> {
  // A gift is one charge: an event naming a donation already paid by another (its metadata edited,
  // or another gift's) must not post this money to it, nor take its charge from it.
  if (donation.chargeId !== null && donation.chargeId !== paid.chargeId) {
    throw new NeedsTreasurer(`charge ${paid.chargeId} is for donation ${donation.id}, which was paid by charge ${donation.chargeId}: not posted`);
  }
  const appeal = await deps.appealOf(donation.appealId);
  const gift = await giftPosting(deps, appeal, paid);
  return {
    donationId: donation.id,
    postings: [
      {
        idempotencyKey: `stripe:${paid.chargeId}:gift`,
        kind: 'gift',
        description: `Gift to ${appeal.slug}`,
        metadata: { donationId: donation.id, chargeId: paid.chargeId, appealId: appeal.id },
        entries: gift.entries,
      },
    ],
    // Set-based: the batch writes every gift's donation and receipt in one statement each.
    collect: ([created], batch) => {
      if (!created) return;
      batch.gifts.add({ donationId: donation.id, chargeId: paid.chargeId, paymentIntentId: paid.paymentIntentId, feeMinor: gift.feeMinor, invoiceId: monthly?.invoiceId ?? null, nextChargeAt: monthly?.nextChargeAt ?? null, grossMinor: gift.grossMinor, currency: gift.currency, appealTitle: appealTitleIn(appeal, donation.locale), paidAt: paid.paidAt, balanceTransactionId: paid.balanceTransactionId, availableOn: paid.availableOn });
      batch.progress.add({ appealId: appeal.id, grossMinor: gift.grossMinor, netMinor: gift.netMinor, gifts: 1, donorEmail: donation.donorEmail, donationId: donation.id, at: paid.paidAt });
    },
  };
}

/** One-off gifts: the Checkout Session completed and paid. */
export const checkoutCompleted: Handler = async (event, deps) => {
  const session = event.data.object as Stripe.Checkout.Session;
  const donation = await deps.donation(session.metadata?.donation_id);
  if (!donation) return { ignore: 'session is not one of our donations' };
  if (session.mode === 'subscription') {
    return {
      donationId: donation.id,
      postings: [],
      apply: async (tx) => {
        await tx.update(donations).set({ subscriptionId: idOf(session.subscription) }).where(eq(donations.id, donation.id));
      },
    };
  }
  if (session.payment_status !== 'paid') return { ignore: `payment status ${session.payment_status}` };
  const paymentIntentId = idOf(session.payment_intent);
  if (!paymentIntentId) return { ignore: 'session has no payment' };
  return giftPlan(deps, donation, await deps.paid(paymentIntentId));
};

/** Monthly gifts: every paid subscription invoice is a gift; the first one is the donation itself. */
export const invoicePaid: Handler = async (event, deps) => {
  const invoice = event.data.object as Stripe.Invoice;
  const donationId = invoice.parent?.subscription_details?.metadata?.donation_id;
  const parent = await deps.donation(donationId);
  if (!parent || !invoice.id) return { ignore: 'invoice is not for one of our monthly gifts' };
  const full = await deps.stripe.invoices.retrieve(invoice.id, { expand: ['payments'] });
  // Only a payment Stripe took: an invoice marked paid by hand (money given outside Stripe) lists
  // at most the attempts that failed, and nothing reached Stripe's balance to post.
  const payment = full.payments?.data.find((p) => p.status === 'paid');
  const paymentIntentId = idOf(payment?.payment.payment_intent);
  if (!paymentIntentId) return { ignore: 'invoice paid outside Stripe (no payment Stripe took)' };
  const paid = await deps.paid(paymentIntentId);
  const monthly = { invoiceId: invoice.id, nextChargeAt: nextChargeAfter(full) };
  if (invoice.billing_reason === 'subscription_create' || parent.invoiceId === invoice.id) {
    return giftPlan(deps, parent, paid, monthly);
  }
  // Before the renewal's donation row exists: a renewal that cannot be posted leaves none behind.
  const charged = chargedInAppealCurrency(await deps.appealOf(parent.appealId), paid);
  const renewal = await renewalDonation(deps, parent, { invoiceId: invoice.id, chargedMinor: charged.amountMinor, subscriptionMetadata: full.parent?.subscription_details?.metadata });
  // Its commit may clear the monthly gift's failed-payment notice and moves its next charge: the
  // gift's row is locked too, so a failure posted by another poster at the same moment waits and
  // then sees this payment.
  return { ...(await giftPlan(deps, renewal, paid, monthly)), alsoLocks: [parent.id] };
};

/** What a renewal's invoice says of it: which invoice, what it charged, and the subscription's metadata as it was when the invoice was finalized. */
interface RenewalCharge {
  invoiceId: string;
  chargedMinor: bigint;
  subscriptionMetadata: Record<string, string> | null | undefined;
}

/**
 * What a renewal's row does not take from the gift's first donation: that payment's own (its id,
 * times, charge, fee, balance), and what belongs to the monthly gift as a whole (its end, its
 * failed payment, its next charge, its amount from now on, its pause), which stays on the first.
 */
const notRenewed = [
  'id', 'createdAt', 'succeededAt', 'chargeId', 'paymentIntentId', 'feeMinor', 'pendingBalanceTransactionId', 'fundsAvailableOn',
  'subscriptionCanceledAt', 'renewalFailedAt', 'renewalFailedInvoiceId', 'renewalNextAttemptAt', 'nextChargeAt',
  'renewalAmountMinor', 'renewalCoverFeesMinor', 'renewalAmountSaidAt', 'collectionPaused', 'pausedUntil', 'pausedNextChargeAt', 'pauseSaidAt',
] as const satisfies readonly (keyof Donation)[];

/**
 * A renewal gets its own donation row, linked to the first, so refunds and receipts are per charge.
 * Its amount is what this invoice charged: a treasurer may have changed the subscription in
 * Stripe's Dashboard since, and an invoice made before the donor changed the amount charges the
 * old one. It splits into gift and fee cover as the monthly gift's amount does (renewal-amount.ts),
 * by the subscription's metadata as this invoice keeps it.
 */
async function renewalDonation(deps: HandlerDeps, parent: Donation, c: RenewalCharge): Promise<Donation> {
  const rest = Object.fromEntries(Object.entries(parent).filter(([key]) => !(notRenewed as readonly string[]).includes(key))) as Omit<Donation, (typeof notRenewed)[number]>;
  const amounts = splitOfCharge(c.chargedMinor, parent, c.subscriptionMetadata);
  const invoiceId = c.invoiceId;
  await deps.db
    .insert(donations)
    .values({ ...rest, ...amounts, status: 'pending', refundedMinor: 0n, invoiceId, parentDonationId: parent.id, requestKey: `renewal:${invoiceId}`, checkoutSessionId: null, message: null, messageStatus: 'none' })
    .onConflictDoNothing();
  const [row] = await deps.db.select().from(donations).where(eq(donations.invoiceId, invoiceId));
  return row!;
}
