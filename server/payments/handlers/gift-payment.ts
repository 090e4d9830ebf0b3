import type Stripe from 'stripe';
import { idOf } from './amounts';

/**
 * Whether a payment is one of this app's gifts: its PaymentIntent (a one-off gift) or its customer
 * (a monthly gift's) carries the donation id the app gave it. The account may also take payments
 * for other things (a shop, dues), whose refunds and disputes are none of the ledger's business:
 * an event of one of those is ignored, where one of a gift not posted yet waits for it.
 */
export async function isGiftPayment(stripe: Stripe, paymentIntentId: string | null): Promise<boolean> {
  if (!paymentIntentId) return false;
  const pi = await stripe.paymentIntents.retrieve(paymentIntentId);
  if (pi.metadata?.donation_id) return true;
  const customerId = idOf(pi.customer);
  if (!customerId) return false;
  const customer = await stripe.customers.retrieve(customerId);
  // A deleted customer keeps no metadata: it may have been a monthly donor's, so the event waits
  // (and is parked for a treasurer in the end) rather than being ignored for good.
  if (customer.deleted) return true;
  return Boolean(customer.metadata?.donation_id);
}
