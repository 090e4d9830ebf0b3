import type Stripe from 'stripe';
import { fromStripeAmount } from '../../ledger/money';
import type { Money } from './fx';

/** A payment as its balance transaction books it: in the settlement currency. */
export interface ChargeAmounts {
  currency: string;
  grossMinor: bigint;
  feeMinor: bigint;
  netMinor: bigint;
  chargeId: string;
  paymentIntentId: string;
  /** When the donor paid: the charge's time, which a receipt bears (not when we posted it). */
  paidAt: Date;
  /** The charge's balance transaction, and the day Stripe makes its net available. */
  balanceTransactionId: string;
  availableOn: Date;
  /** What the donor paid, in the charge's (the appeal's) currency, when Stripe settled it in another. */
  charged?: Money;
}

/** Gross, fee and net of a payment, from its balance transaction, in our minor units. */
export async function chargeAmounts(stripe: Stripe, paymentIntentId: string): Promise<ChargeAmounts> {
  const pi = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge.balance_transaction'] });
  const charge = pi.latest_charge;
  if (!charge || typeof charge === 'string') throw new Error(`payment ${paymentIntentId} has no charge`);
  return amountsOf(charge, pi.id);
}

/** The amounts of a charge whose balance transaction is expanded. */
function amountsOf(charge: Stripe.Charge, paymentIntentId: string): ChargeAmounts {
  const bt = charge.balance_transaction;
  if (!bt || typeof bt === 'string') throw new Error(`charge ${charge.id} has no balance transaction yet`);
  const currency = bt.currency.toUpperCase();
  const amounts: ChargeAmounts = {
    currency,
    grossMinor: fromStripeAmount(bt.amount, currency),
    feeMinor: fromStripeAmount(bt.fee, currency),
    netMinor: fromStripeAmount(bt.net, currency),
    chargeId: charge.id,
    paymentIntentId,
    paidAt: new Date(charge.created * 1000),
    balanceTransactionId: bt.id,
    availableOn: new Date(bt.available_on * 1000),
  };
  const chargeCurrency = charge.currency.toUpperCase();
  if (chargeCurrency === currency) return amounts;
  // Settled in another currency (exchange_rate set): the amounts above are Stripe's; the appeal
  // gets what the donor paid. exchange_rate is a float and never used: both sides are integers.
  if (amounts.grossMinor <= 0n) throw new Error(`charge ${charge.id} settled as ${amounts.grossMinor} ${currency}`);
  return { ...amounts, charged: { currency: chargeCurrency, amountMinor: fromStripeAmount(charge.amount, chargeCurrency) } };
}

/** A payment to look up: its PaymentIntent and when Stripe said it completed (the event's `created`). */
export interface WantedPayment {
  paymentIntentId: string;
  paidAtSeconds: number;
}

export const chargeListing = {
  /** A charge is created before the event that reports it; this much earlier is still looked at. */
  slackSeconds: 300,
  /** Pages per lookup beyond the fewest that could hold every wanted charge. */
  extraPages: 10,
};

/**
 * The amounts of many payments from Stripe's charge list (`GET /v1/charges` with `created[gte|lte]`
 * and `expand[]=data.balance_transaction`, 100 per page, newest first), instead of one
 * PaymentIntent fetch each: a batch of 1,000 gifts is about a dozen requests, where Stripe allows
 * 25 a second. Lists from the newest event's time back until every wanted payment is found, or
 * the window (the oldest event's time less a slack) or the page bound ends. What it does not find
 * (an older charge, a charge not yet settled) is simply absent: the caller fetches those one by
 * one, so the answer never depends on this being complete.
 */
export async function listPaidCharges(stripe: Stripe, wanted: WantedPayment[]): Promise<Map<string, ChargeAmounts>> {
  const found = new Map<string, ChargeAmounts>();
  if (wanted.length === 0) return found;
  const want = new Set(wanted.map((w) => w.paymentIntentId));
  const times = wanted.map((w) => w.paidAtSeconds);
  const created = { gte: Math.min(...times) - chargeListing.slackSeconds, lte: Math.max(...times) };
  const pagesMax = Math.ceil(want.size / 100) + chargeListing.extraPages;
  let startingAfter: string | undefined;
  for (let page = 0; page < pagesMax && found.size < want.size; page++) {
    const list = await stripe.charges.list({ created, limit: 100, expand: ['data.balance_transaction'], ...(startingAfter ? { starting_after: startingAfter } : {}) });
    for (const charge of list.data) {
      const pi = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
      // A PaymentIntent has at most one succeeded charge: the one its latest_charge names once paid.
      if (!pi || !want.has(pi) || charge.status !== 'succeeded') continue;
      try {
        found.set(pi, amountsOf(charge, pi));
      } catch {
        // Not settled yet: the one-by-one fetch says so, as before.
      }
    }
    if (!list.has_more || list.data.length === 0) break;
    startingAfter = list.data.at(-1)!.id;
  }
  return found;
}

export const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref == null ? null : typeof ref === 'string' ? ref : ref.id;
