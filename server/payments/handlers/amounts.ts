import type Stripe from 'stripe';
import { fromStripeAmount } from '../../ledger/money';

export interface ChargeAmounts {
  currency: string;
  grossMinor: bigint;
  feeMinor: bigint;
  netMinor: bigint;
  chargeId: string;
  paymentIntentId: string;
}

/** Gross, fee and net of a payment, from its balance transaction, in our minor units. */
export async function chargeAmounts(stripe: Stripe, paymentIntentId: string): Promise<ChargeAmounts> {
  const pi = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge.balance_transaction'] });
  const charge = pi.latest_charge;
  if (!charge || typeof charge === 'string') throw new Error(`payment ${paymentIntentId} has no charge`);
  const bt = charge.balance_transaction;
  if (!bt || typeof bt === 'string') throw new Error(`charge ${charge.id} has no balance transaction yet`);
  const currency = bt.currency.toUpperCase();
  if (currency !== charge.currency.toUpperCase()) {
    // Settlement in another currency needs FX postings the ledger does not have yet: park, never guess.
    throw new Error(`charge ${charge.id} in ${charge.currency.toUpperCase()} settled in ${currency}: currency conversion is not supported yet`);
  }
  return {
    currency,
    grossMinor: fromStripeAmount(bt.amount, currency),
    feeMinor: fromStripeAmount(bt.fee, currency),
    netMinor: fromStripeAmount(bt.net, currency),
    chargeId: charge.id,
    paymentIntentId: pi.id,
  };
}

export const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref == null ? null : typeof ref === 'string' ? ref : ref.id;
