import Stripe from 'stripe';

/**
 * Whether an event rendered in Stripe API version `version` has the shapes our handlers read (the
 * SDK's version). Stripe changes shapes only between named releases ("2026-10-28.endive" is of
 * "endive"); the monthly versions within one release only add. An event without a version is
 * taken as ours (Stripe always sends one; it is missing only from hand-made test events).
 */
export function readableApiVersion(version: string | null | undefined): boolean {
  if (!version) return true;
  return releaseOf(version) === releaseOf(Stripe.API_VERSION);
}

const releaseOf = (version: string) => version.split('.')[1] ?? version;

/** How to read each kind of object our handlers read again, by its `object` field. */
const readers: Record<string, (stripe: Stripe, id: string) => Promise<object>> = {
  'checkout.session': (stripe, id) => stripe.checkout.sessions.retrieve(id),
  invoice: (stripe, id) => stripe.invoices.retrieve(id),
  subscription: (stripe, id) => stripe.subscriptions.retrieve(id),
  refund: (stripe, id) => stripe.refunds.retrieve(id),
  dispute: (stripe, id) => stripe.disputes.retrieve(id),
  payout: (stripe, id) => stripe.payouts.retrieve(id),
};

/**
 * An event of another API release, with its object read again from Stripe's API, which answers in
 * the SDK's version. An event's own data never changes, and Stripe will not resend it in another
 * version, so this is the one way to read it. The object is as it is now, not as it was when the
 * event was made, which each handler reads correctly: refunds and payouts are read from Stripe
 * anyway; a session's later state only goes on to paid, expired or failed (a delayed payment read
 * after it was paid posts once, under its charge's key); subscriptions, failed refunds, closed
 * disputes and failed payouts are in final states; an invoice's billing reason and metadata are fixed once it is finalized; a dispute read
 * after it was won also lists the reinstatement, so its opening takes the withdrawal's fee only, and
 * its row on the treasury page shows where it stands now. A
 * refund.updated that reported success, read after the refund failed, undoes it (nets to nothing).
 */
export async function inOurApiVersion(stripe: Stripe, event: Stripe.Event): Promise<Stripe.Event> {
  const object = event.data.object as { object?: unknown; id?: unknown };
  // balance.available's handler lists balance transactions itself and never reads its object.
  if (object.object === 'balance') return event;
  const read = typeof object.object === 'string' ? readers[object.object] : undefined;
  const id = typeof object.id === 'string' ? object.id : '';
  if (!read || !id) throw new Error(`a ${String(object.object)} cannot be read again from Stripe`);
  const current = await read(stripe, id);
  return { ...event, api_version: Stripe.API_VERSION, data: { object: current } } as unknown as Stripe.Event;
}
