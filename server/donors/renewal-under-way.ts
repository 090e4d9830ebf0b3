import Stripe from 'stripe';
import { AppError } from '../errors';
import { idOf } from '../payments/handlers/amounts';

/*
 * The renewal Stripe has made and not charged yet. At a period's end Stripe makes the renewal's
 * invoice as a draft and finalizes and charges it about an hour later
 * (docs.stripe.com/invoicing/integration/automatic-advancement-collection), and a pause of
 * collection set in that hour does not stop it: "invoices created before you pause subscriptions
 * continue to be retried unless you void them" (docs.stripe.com/billing/subscriptions/pause-payment).
 * A subscription's invoice cannot be deleted (docs.stripe.com/api/invoices/delete): it is finalized
 * with auto_advance=false, so Stripe attempts nothing, and then voided
 * (docs.stripe.com/invoicing/integration/workflow-transitions).
 */

/** Stripe is charging the gift's renewal right now (it was finalized before it could be held): a change made now would not be the truth of it. */
export const renewalUnderWay = () =>
  new AppError(409, 'monthly_gift_renewal_under_way', "This gift's payment for this month is being made right now. Try again in an hour: your change will apply from the next payment.");

/**
 * The subscription's latest invoice while it is a renewal Stripe has not charged: a draft, or one
 * held open without auto-advance and never attempted (an earlier try of this same change held it,
 * then stopped short). Null otherwise: paid, voided, being retried, or the first payment's.
 */
export async function renewalNotCharged(stripe: Stripe, sub: Stripe.Subscription): Promise<Stripe.Invoice | null> {
  const id = idOf(sub.latest_invoice);
  if (!id) return null;
  const invoice = await stripe.invoices.retrieve(id);
  if (invoice.billing_reason !== 'subscription_cycle') return null;
  return invoice.status === 'draft' || isHeld(invoice) ? invoice : null;
}

const isHeld = (invoice: Stripe.Invoice) => invoice.status === 'open' && invoice.auto_advance === false && invoice.attempt_count === 0;

/**
 * Keeps Stripe from charging a renewal's draft: finalized with auto_advance=false, under a key
 * derived from the change's own (a retry holds it once). Stripe finalized it first (its hour was
 * up, it is being charged): refused, and nothing was changed.
 */
export async function holdRenewal(stripe: Stripe, invoice: Stripe.Invoice, keyBase: string): Promise<void> {
  if ((await tryHoldRenewal(stripe, invoice, keyBase)) === 'charging') throw renewalUnderWay();
}

/**
 * holdRenewal for a change that goes ahead either way (the gift's end): answers 'charging' when
 * Stripe finalized the renewal first and is charging it, which nothing here can stop any more.
 */
export async function tryHoldRenewal(stripe: Stripe, invoice: Stripe.Invoice, keyBase: string): Promise<'held' | 'charging'> {
  if (isHeld(invoice)) return 'held';
  try {
    await stripe.invoices.finalizeInvoice(invoice.id!, { auto_advance: false }, { idempotencyKey: `${keyBase}:hold-renewal` });
    return 'held';
  } catch (err) {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'invoice_already_finalized') return 'charging';
    throw err;
  }
}

/** Voids a held renewal: nothing is owed on it, and Stripe says so (invoice.voided), which posts nothing here. */
export async function voidHeldRenewal(stripe: Stripe, invoiceId: string, keyBase: string): Promise<void> {
  await stripe.invoices.voidInvoice(invoiceId, {}, { idempotencyKey: `${keyBase}:void-renewal` });
}

/**
 * Hands a renewal held for a change that then failed at Stripe back to Stripe's collection
 * (auto_advance=true): left held, it would never be charged, and the gift's next changes would be
 * refused as "under way" until the month after. Only when the change is known not to have been
 * made: if its answer was lost and it was made, the held renewal is what a retry voids.
 */
export async function releaseUnlessMade(stripe: Stripe, invoiceId: string, keyBase: string, made: () => Promise<boolean>): Promise<void> {
  try {
    if (await made()) return;
    await stripe.invoices.update(invoiceId, { auto_advance: true }, { idempotencyKey: `${keyBase}:release-renewal` });
  } catch {
    // Stripe unreachable still: the renewal stays held, and a retry of the change finds it held.
  }
}
