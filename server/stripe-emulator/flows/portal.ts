import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx } from '../context';
import type { StoredCard } from '../store';
import { attemptInvoice, openInvoices, owes, stillBills } from './invoice-payment';
import { timeForCustomer } from './time';

export type CardUpdate = { ok: true } | { ok: false; message: string };

/** The customer's subscriptions that still bill, or are unpaid until a card pays them. */
export function billingSubscriptions(ctx: Ctx, customerId: string): Stripe.Subscription[] {
  return [...ctx.state.subscriptions.values()].filter((s) => s.customer === customerId && (stillBills(s) || owes(s)));
}

/**
 * A new card typed into the portal becomes the customer's default payment method and each billing
 * subscription's (Stripe retries on the subscription's default first, so both are set:
 * https://docs.stripe.com/billing/revenue-recovery/smart-retries#payment-method-ordering). A card
 * Stripe cannot attach (a decline other than 4000 0000 0000 0341) is refused and nothing changes.
 *
 * Then the open invoices of past_due and unpaid subscriptions are paid at once. This is the emulator's choice,
 * not a documented rule (what Stripe's own portal does here is to be checked in test mode); without
 * it the subscription would wait for the next scheduled retry. A payment that fails (0341) leaves
 * the card saved and the invoice open on its schedule.
 */
export function updateCustomerCard(ctx: Ctx, customer: Stripe.Customer, card: StoredCard): CardUpdate {
  if (card.outcome.kind === 'decline' && !card.outcome.attachable) return { ok: false, message: card.outcome.message };
  const at = timeForCustomer(ctx, customer.id);
  const pm = card.info.paymentMethodId;
  const previousSettings = { ...customer.invoice_settings };
  customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: pm };
  ctx.emit('customer.updated', customer, { created: at, previous: { invoice_settings: previousSettings } });
  const subs = billingSubscriptions(ctx, customer.id);
  for (const sub of subs) {
    const previous = { default_payment_method: sub.default_payment_method };
    sub.default_payment_method = pm;
    ctx.state.subscriptionCards.set(sub.id, card);
    ctx.emit('customer.subscription.updated', sub, { created: at, previous });
  }
  ctx.changed();
  for (const sub of subs.filter(owes)) {
    for (const invoice of openInvoices(ctx, sub.id)) {
      const result = attemptInvoice(ctx, invoice, sub, customer, at, AUTOMATIC, false);
      if (!result.ok) return { ok: false, message: `Your card was saved, but the payment of ${invoice.number ?? 'the open invoice'} failed: ${result.message}` };
    }
  }
  return { ok: true };
}
