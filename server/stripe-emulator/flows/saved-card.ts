import type Stripe from 'stripe';
import { cardOutcome, SAVED_CARD_DECLINES, type SavedCardDecline } from '../cards';
import type { Ctx } from '../context';
import { resourceMissing } from '../errors';

/** The subscription's saved card now declines with `code`: same card (last 4, fingerprint), new outcome. */
export function declineSubscriptionPayments(ctx: Ctx, subscriptionId: string, code: SavedCardDecline): Stripe.Subscription {
  const sub = ctx.state.subscriptions.get(subscriptionId);
  if (!sub) throw resourceMissing('subscription', subscriptionId);
  const card = ctx.state.subscriptionCards.get(subscriptionId);
  if (!card) throw new Error(`subscription ${subscriptionId} has no card`);
  ctx.state.subscriptionCards.set(subscriptionId, { ...card, outcome: cardOutcome(SAVED_CARD_DECLINES[code]) });
  ctx.changed();
  return sub;
}
