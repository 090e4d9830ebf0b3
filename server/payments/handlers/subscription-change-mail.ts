import type Stripe from 'stripe';
import type { Donation } from '../../../db/schema/index';
import { monthlyAmountEmail } from '../../donors/monthly-amount-mail';
import { monthlyPauseEmail } from '../../donors/monthly-pause-mail';
import { isDonorChangeKey } from '../donor-change-key';
import { accountPageUrl, appealTitleIn, type AppealWithTitles } from '../donations-store';
import { chargedOf, renewalAmountOf } from '../renewal-amount';
import { upcomingCharge } from '../upcoming-charge';

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
 * key; her row may already hold it, or not, if the poster came first or her write was lost);
 * Stripe ending a pause on the day its mail named; and a gift that no longer runs (ended, set to
 * end, its appeal closed), whose end is told on its own.
 */
export function stripeChangeMails(event: Stripe.Event, before: Donation, after: Donation, c: { appeal: AppealWithTitles; publicUrl: string | undefined; now: Date }): OutboxMail[] {
  if (isDonorChangeKey(event.request?.idempotency_key, after.id)) return [];
  if (after.subscriptionCanceledAt || after.subscriptionEndsAt || c.appeal.status === 'closed') return [];
  const told = {
    appealTitle: appealTitleIn(c.appeal, after.locale),
    accountUrl: accountPageUrl(c.publicUrl),
    nextChargeAt: upcomingCharge(after, c.appeal.status, c.now),
    requestKey: `stripe:${event.id}`,
    by: 'treasurer' as const,
  };
  const mails: (OutboxMail | null)[] = [];
  const [was, now] = [renewalAmountOf(before), renewalAmountOf(after)];
  if (chargedOf(was) !== chargedOf(now)) {
    mails.push(monthlyAmountEmail(after, { ...told, previousMinor: chargedOf(was), amountMinor: chargedOf(now), coverFeesMinor: now.coverFeesMinor }));
  }
  const pause = pauseChange(before, after, new Date(event.created * 1000));
  if (pause) mails.push(monthlyPauseEmail(after, pause, { ...told, amountMinor: chargedOf(now) }));
  return mails.filter((mail) => mail !== null);
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
