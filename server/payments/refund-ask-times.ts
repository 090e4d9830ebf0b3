// No imports: the treasurer's gift page (browser code) reads these too, so the page's "Check with
// Stripe" button and the job that does the same on its own start at the same moment.

/**
 * How long after it was written an ask with no answer counts as unanswered rather than in flight:
 * Stripe's client (stripe-client.ts) gives up on an answer well before, so an ask older than this
 * is no request's any more.
 */
export const refundAskUnansweredMs = 2 * 60_000;

/**
 * How long an ask counts as on its way. Stripe's refund event comes within seconds; one still not
 * posted after three days (the poster's own wait for a missing event) failed in a way we did not
 * see, and holding the money back for ever would be worse: Stripe itself refuses to refund more
 * than the charge has left. A Postgres interval: it is compared with the database's clock.
 */
export const refundAskWindow = '3 days';
