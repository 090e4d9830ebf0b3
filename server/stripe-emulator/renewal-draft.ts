/**
 * Stripe finalizes a renewal's draft about an hour after it is made, and waits at most 72 hours
 * for the invoice.created webhook to succeed before it does
 * (docs.stripe.com/billing/subscriptions/webhooks): nothing longer is Stripe's.
 */
export const renewalDraftSecondsMax = 72 * 3600;

/** The emulator's renewal draft delay, checked: whole seconds from 0 (charge at once) to 72 hours. */
export function resolveRenewalDraftSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > renewalDraftSecondsMax) {
    throw new Error(`renewalDraftSeconds must be a whole number of seconds from 0 to ${renewalDraftSecondsMax}, got ${JSON.stringify(seconds)}`);
  }
  return seconds;
}
