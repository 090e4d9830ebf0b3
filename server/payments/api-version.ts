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

/** How to read each kind of object our handlers receive again, by its `object` field. */
const readers: Record<string, (stripe: Stripe, id: string) => Promise<object>> = {
  'checkout.session': (stripe, id) => stripe.checkout.sessions.retrieve(id),
  invoice: (stripe, id) => stripe.invoices.retrieve(id),
  subscription: (stripe, id) => stripe.subscriptions.retrieve(id),
  refund: (stripe, id) => stripe.refunds.retrieve(id),
  dispute: (stripe, id) => stripe.disputes.retrieve(id),
  payout: (stripe, id) => stripe.payouts.retrieve(id),
  balance: (stripe) => stripe.balance.retrieve(),
};

/**
 * An event of another API release, with its object read again from Stripe's API, which answers in
 * the SDK's version. An event's own data never changes, and Stripe will not resend it in another
 * version, so this is the one way to read it. The object is as it is now, not as it was when the
 * event was made: the handlers already take each object's state from Stripe (a refund, a payout,
 * a dispute's balance transactions), so its later state is what they would have read anyway.
 */
export async function inOurApiVersion(stripe: Stripe, event: Stripe.Event): Promise<Stripe.Event> {
  const object = event.data.object as { object?: unknown; id?: unknown };
  const read = typeof object.object === 'string' ? readers[object.object] : undefined;
  const id = typeof object.id === 'string' ? object.id : '';
  if (!read || (object.object !== 'balance' && !id)) throw new Error(`a ${String(object.object)} cannot be read again from Stripe`);
  const current = await read(stripe, id);
  return { ...event, api_version: Stripe.API_VERSION, data: { object: current } } as unknown as Stripe.Event;
}
