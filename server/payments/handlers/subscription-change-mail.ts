import type Stripe from 'stripe';
import type { Donation } from '../../../db/schema/index';
import { monthlyAmountEmail } from '../../donors/monthly-amount-mail';
import { monthlyPauseEmail } from '../../donors/monthly-pause-mail';
import { isDonorChangeKey } from '../donor-change-key';
import { monthlyChargeOf } from './subscription-amount';
import { accountPageUrl, appealTitleIn, type AppealWithTitles } from '../donations-store';
import { chargedOf, renewalAmountOf } from '../renewal-amount';
import { endsWithAppealOn, upcomingCharge } from '../upcoming-charge';

type OutboxMail = NonNullable<ReturnType<typeof monthlyAmountEmail>>;

/**
 * The donor's word of a change of her monthly gift made at Stripe (the appeal's treasurer, in the
 * Dashboard), from the gift's row before and after the update's event was posted, both read on
 * the row the batch holds locked: only what the event actually changed of what the row kept is
 * told. That one rule keeps it to once per change however Stripe delivers: an event posted again
 * (or a copy under another id, or by a second poster after the first committed) finds the row as
 * it left it, and one older than what was kept is refused by the said-at guard and changes
 * nothing. The dedupe key, naming the event, is the last guard.
 *
 * Not told: the donor's own change here (it mails her itself, and its event names her change's
 * key; her row may already hold it, or not, if the poster came first or her write was lost),
 * unless what its posting wrote is more than hers;
 * Stripe ending a pause on the day its mail named; and a gift that no longer runs (ended, set to
 * end, its appeal closed), whose end is told on its own.
 */
export function stripeChangeMails(event: Stripe.Event, before: Donation, after: Donation, c: { appeal: AppealWithTitles; publicUrl: string | undefined; now: Date }): OutboxMail[] {
  if (after.subscriptionCanceledAt || after.subscriptionEndsAt || c.appeal.status === 'closed') return [];
  const hers = isDonorChangeKey(event.request?.idempotency_key, after.id) ? ownCharge(event, after.currency) : undefined;
  const told = {
    appealTitle: appealTitleIn(c.appeal, after.locale),
    accountUrl: accountPageUrl(c.publicUrl),
    nextChargeAt: upcomingCharge(after, c.appeal, c.now),
    endsWithAppealOn: endsWithAppealOn(after, c.appeal, c.now),
    requestKey: `stripe:${event.id}`,
    by: 'treasurer' as const,
  };
  const mails: (OutboxMail | null)[] = [];
  const [was, now] = [renewalAmountOf(before), renewalAmountOf(after)];
  // The amount is written as Stripe charges it when posted, not as the event says: her own
  // change's event, posted after a treasurer changed the price again, writes the treasurer's,
  // whose own event then finds nothing left to change. What she was told is her change's amount.
  const toldBefore = hers === undefined ? chargedOf(was) : hers;
  if (toldBefore !== null && toldBefore !== chargedOf(now) && chargedOf(was) !== chargedOf(now)) {
    mails.push(monthlyAmountEmail(after, { ...told, previousMinor: toldBefore, amountMinor: chargedOf(now), coverFeesMinor: now.coverFeesMinor }));
  }
  // Her own pause or resume is written from the event's own object: all hers.
  if (hers !== undefined) return mails.filter((mail) => mail !== null);
  const pause = pauseChange(before, after, new Date(event.created * 1000));
  const keptAsDraft = (event.data.object as Stripe.Subscription).pause_collection?.behavior === 'keep_as_draft';
  if (pause) mails.push(monthlyPauseEmail(after, pause, { ...told, amountMinor: chargedOf(now), keptAsDraft }));
  return mails.filter((mail) => mail !== null);
}

/** What the donor's own change set the gift to charge, from its event's object; null when that cannot be read (nothing then told of the amount). */
function ownCharge(event: Stripe.Event, currency: string): bigint | null {
  try {
    return monthlyChargeOf(event.data.object as Stripe.Subscription, currency);
  } catch {
    return null;
  }
}

/**
 * Whether the row's pause changed in a way the donor is told: paused (or paused until another
 * day), or resumed before the day the pause was to end. A pause that ends when Stripe said at or
 * after its end is Stripe ending it on schedule (it clears pause_collection at resumes_at).
 */
function pauseChange(before: Donation, after: Donation, saidAt: Date): 'paused' | 'resumed' | null {
  const sameDay = (before.pausedUntil?.getTime() ?? null) === (after.pausedUntil?.getTime() ?? null);
  if (after.collectionPaused) return before.collectionPaused && sameDay ? null : 'paused';
  if (!before.collectionPaused) return null;
  return before.pausedUntil !== null && before.pausedUntil <= saidAt ? null : 'resumed';
}
