import type Stripe from 'stripe';

/**
 * When Stripe charges a monthly gift next, read from the invoice it just paid: a subscription bills
 * each period in advance, so the invoice's subscription line covers the period from this payment
 * to the next, and Stripe invoices again at that line's `period.end` (the subscription item's
 * `current_period_end`). Not the invoice's own `period_end`: on a renewal that is the end of the
 * period just past. Prorations are left out (their period is a part of one); with several items,
 * the earliest end is the next invoice. Null when the invoice lists no subscription line.
 */
export function nextChargeAfter(invoice: Pick<Stripe.Invoice, 'lines'>): Date | null {
  const ends = (invoice.lines?.data ?? [])
    .filter((line) => line.parent?.type === 'subscription_item_details' && line.parent.subscription_item_details?.proration === false)
    .map((line) => line.period.end);
  return ends.length === 0 ? null : new Date(Math.min(...ends) * 1000);
}
