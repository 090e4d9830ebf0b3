import type Stripe from 'stripe';
import { idOf, type WantedPayment } from './amounts';
import { balanceAvailable, payoutFailed, payoutPaid } from './balance';
import { disputeClosed, disputeCreated } from './dispute';
import { withDisputeRecord } from './dispute-record';
import { asyncPaymentFailed, checkoutExpired, subscriptionDeleted } from './ended';
import { subscriptionUpdated } from './subscription-updated';
import { checkoutCompleted, invoicePaid } from './gift';
import { refundCreated, refundFailed, refundUpdated } from './refund';
import { invoicePaymentFailed } from './renewal-failed';
import type { Handler } from './types';

/** The events that move money or donations; every other type is stored and marked ignored. */
export const handlers: Record<string, Handler> = {
  'checkout.session.completed': checkoutCompleted,
  // A delayed payment method (SEPA, ACH): the session completed unpaid, and this says it is paid.
  'checkout.session.async_payment_succeeded': checkoutCompleted,
  'checkout.session.async_payment_failed': asyncPaymentFailed,
  'checkout.session.expired': checkoutExpired,
  'customer.subscription.deleted': subscriptionDeleted,
  // Set to end on a day to come, or to go on after all, or charging another amount: the donor's page says which.
  'customer.subscription.updated': subscriptionUpdated,
  'invoice.paid': invoicePaid,
  // A renewal declined: recorded on the monthly gift and told to its donor; no money moved.
  'invoice.payment_failed': invoicePaymentFailed,
  'refund.created': refundCreated,
  'refund.failed': refundFailed,
  'refund.updated': refundUpdated,
  // Each also keeps the dispute's row, which tells treasurers what needs an answer by when.
  'charge.dispute.created': withDisputeRecord(disputeCreated),
  // Evidence submitted, an inquiry escalated, a loss appealed: where the dispute stands, nothing
  // more; one that reports an end (won, lost) posts it as charge.dispute.closed does, whichever comes first.
  'charge.dispute.updated': withDisputeRecord(disputeClosed),
  // An inquiry withdraws nothing when it opens; escalated, it withdraws then.
  'charge.dispute.funds_withdrawn': withDisputeRecord(disputeCreated),
  'charge.dispute.closed': withDisputeRecord(disputeClosed),
  // A win's money back, told beside its close (Stripe sends both, in any order, and either may be
  // the only one to arrive): one posting under the win's key, whichever comes first.
  'charge.dispute.funds_reinstated': withDisputeRecord(disputeClosed),
  'balance.available': balanceAvailable,
  'payout.paid': payoutPaid,
  'payout.failed': payoutFailed,
};

/**
 * What a batch of events will ask for, so the poster can read it all at once before planning:
 * the donations they name, and the payments whose amounts a Checkout gift needs (with when Stripe
 * reported them, which bounds the charge listing). Anything missed here is read one by one.
 */
export function batchNeeds(events: Stripe.Event[]): { donationIds: (string | undefined)[]; payments: WantedPayment[] } {
  const donationIds: (string | undefined)[] = [];
  const payments: WantedPayment[] = [];
  for (const event of events) {
    try {
      addNeeds(event, donationIds, payments);
    } catch {
      // A stored payload of an unexpected shape: its handler reads (and reports) it on its own.
    }
  }
  return { donationIds, payments };
}

function addNeeds(event: Stripe.Event, donationIds: (string | undefined)[], payments: WantedPayment[]): void {
  if (event.type.startsWith('checkout.session.')) {
    const session = event.data.object as Stripe.Checkout.Session;
    donationIds.push(session.metadata?.donation_id);
    const paymentIntentId = idOf(session.payment_intent);
    // A delayed payment's charge is as old as its checkout, days before the event that says it is
    // paid: outside the listing's window, it is fetched alone.
    if (event.type === 'checkout.session.completed' && session.mode === 'payment' && session.payment_status === 'paid' && paymentIntentId) {
      payments.push({ paymentIntentId, paidAtSeconds: event.created });
    }
  } else if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
    donationIds.push(event.data.object.parent?.subscription_details?.metadata?.donation_id);
  } else if (event.type === 'customer.subscription.deleted' || event.type === 'customer.subscription.updated') {
    donationIds.push(event.data.object.metadata?.donation_id);
  }
}
