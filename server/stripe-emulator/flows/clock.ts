import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { invalidRequest } from '../errors';
import { subscriptionItem } from '../objects/billing';
import { cancelNow, renew, resumeCollection } from './billing';
import { openInvoices, retryInvoice, stillBills } from './invoice-payment';
import { advanceDraft, scheduledDrafts } from './invoice-lifecycle';
import { periodBoundary } from './time';

function clockSubscriptions(ctx: Ctx, clockId: string): Stripe.Subscription[] {
  return [...ctx.state.subscriptions.values()].filter((s) => s.test_clock === clockId && stillBills(s));
}

/*
 * A canceled subscription makes no more renewals, but a renewal it made as a draft before it was
 * canceled is still finalized and charged when its hour is up: canceling "stops automatic
 * collection of all finalized invoices" (docs.stripe.com/api/subscriptions/cancel), and a draft
 * is not yet one. Only holding it (finalize with auto_advance=false) and voiding it stops it.
 */
function canceledDrafts(ctx: Ctx, clockId: string): Stripe.Invoice[] {
  const canceled = [...ctx.state.subscriptions.values()].filter((s) => s.test_clock === clockId && s.status === 'canceled');
  return canceled.flatMap((sub) => scheduledDrafts(ctx, sub.id));
}

/**
 * The next thing that falls due on the clock by `target`: a pause's end, a period end, a renewal's
 * draft that Stripe finalizes and charges, or a scheduled retry (a stable sort keeps that order within a second).
 */
function nextDue(ctx: Ctx, clockId: string, target: number): { at: number; run: () => void } | undefined {
  const due: { at: number; run: () => void }[] = [];
  for (const sub of clockSubscriptions(ctx, clockId)) {
    // Before a period end at the same second: an invoice made at resumes_at is not made before it, and is collected.
    const resumesAt = sub.pause_collection?.resumes_at;
    if (typeof resumesAt === 'number') due.push({ at: resumesAt, run: () => resumeCollection(ctx, sub, resumesAt) });
    const end = subscriptionItem(sub).current_period_end;
    due.push({ at: end, run: () => (sub.cancel_at_period_end ? cancelNow(ctx, sub, end, AUTOMATIC) : renew(ctx, sub)) });
    for (const draft of scheduledDrafts(ctx, sub.id)) {
      const at = draft.automatically_finalizes_at;
      if (at !== null) due.push({ at, run: () => advanceDraft(ctx, draft) });
    }
    for (const invoice of openInvoices(ctx, sub.id)) {
      const at = invoice.next_payment_attempt;
      if (at !== null) due.push({ at, run: () => retryInvoice(ctx, invoice) });
    }
  }
  for (const draft of canceledDrafts(ctx, clockId)) {
    const at = draft.automatically_finalizes_at;
    if (at !== null) due.push({ at, run: () => advanceDraft(ctx, draft) });
  }
  return due.filter((d) => d.at <= target).sort((a, b) => a.at - b.at)[0];
}

// Stripe refuses to advance more than two intervals of the shortest subscription on the clock.
function assertWithinTwoIntervals(ctx: Ctx, clock: Stripe.TestHelpers.TestClock, target: number): void {
  for (const sub of clockSubscriptions(ctx, clock.id)) {
    const r = subscriptionItem(sub).price.recurring;
    if (!r) continue;
    const limit = periodBoundary(clock.frozen_time, r.interval, r.interval_count, 2);
    if (target > limit) {
      throw invalidRequest(
        `Cannot advance the test clock more than two intervals (${r.interval_count} ${r.interval}) of subscription ${sub.id} at once.`,
        'frozen_time',
      );
    }
  }
}

// Moves the clock forward and runs every renewal, draft's finalization, retry, pause's end and scheduled cancellation that falls due, in time order.
export function advanceClock(ctx: Ctx, clock: Stripe.TestHelpers.TestClock, target: number, origin: Origin): void {
  if (target <= clock.frozen_time) {
    throw invalidRequest('The frozen_time must be later than the current frozen_time of the test clock.', 'frozen_time');
  }
  assertWithinTwoIntervals(ctx, clock, target);
  clock.status = 'advancing';
  ctx.emit('test_helpers.test_clock.advancing', clock, { origin, created: clock.frozen_time });
  for (let guard = 0; guard < 1000; guard++) {
    const due = nextDue(ctx, clock.id, target);
    if (!due) break;
    clock.frozen_time = due.at;
    due.run();
  }
  clock.frozen_time = target;
  clock.status = 'ready';
  ctx.emit('test_helpers.test_clock.ready', clock, { origin: AUTOMATIC, created: target });
  ctx.changed();
}
