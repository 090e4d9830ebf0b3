import { and, asc, eq, isNotNull, notInArray } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import Stripe from 'stripe';
import type { Db } from '../../db/client';
import type { RunAlone } from '../../db/run-alone';
import { appeals, donations } from '../../db/schema/index';
import { endPendingGiftOfSession } from '../payments/handlers/ended';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeError } from '../safe-error';
import { RestingGifts } from './closed-appeal-gifts';

/*
 * A Checkout Session stays payable for 24 hours, so a donor who opened one before the appeal closed
 * could still pay a closed appeal for up to a day. This job expires, at Stripe, the open checkouts of
 * closed appeals: "A Checkout Session can be expired when it is in one of these statuses: open. After
 * it expires, a customer can't complete a Checkout Session" (Stripe API reference, "Expire a Checkout
 * Session": POST /v1/checkout/sessions/:id/expire, docs.stripe.com/api/checkout/sessions/expire;
 * Stripe then sends `checkout.session.expired`).
 *
 * A donor paying at the same moment races the expiry at Stripe, not here: Stripe takes one of the
 * two. If the payment won, the expiry is refused, the session is `complete`, and the gift is left to
 * `checkout.session.completed` like any other paid gift. If the expiry won, the payment is refused
 * and nothing was charged. Money moves in the ledger only through Stripe's events, never from here.
 */

interface Deps {
  db: Db;
  /** Keeps runs apart across processes (Database.runAlone). */
  runAlone: RunAlone;
  stripe: Stripe;
  log: FastifyBaseLogger;
}

/**
 * Gifts of closed appeals still waiting on their checkout, oldest first. A gift whose session id was
 * never recorded (the answer to its creation was lost) cannot be expired by id: Stripe's 24 hours end it.
 */
function openCheckoutsOfClosedAppeals(db: Db, limit: number, resting: string[]) {
  return db
    .select({ id: donations.id, sessionId: donations.checkoutSessionId })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .where(
      and(
        eq(appeals.status, 'closed'),
        eq(donations.status, 'pending'),
        isNotNull(donations.checkoutSessionId),
        resting.length > 0 ? notInArray(donations.id, resting) : undefined,
      ),
    )
    .orderBy(asc(donations.createdAt))
    .limit(limit);
}

type Outcome = 'expired' | 'paid';

/**
 * Expires one session at Stripe, one idempotency key per session (a retry after a lost answer is
 * the same request). Stripe refuses a session that is not open: it is then read back, and what it
 * is decides (its wording for the refusal is not published, so the session's own status is trusted).
 */
async function expireAtStripe(stripe: Stripe, sessionId: string): Promise<Outcome> {
  try {
    const session = await stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey: `appeal-closed:expire:${sessionId}` });
    return outcomeOf(session);
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeInvalidRequestError) || err.statusCode === 404) throw err;
    return outcomeOf(await stripe.checkout.sessions.retrieve(sessionId));
  }
}

function outcomeOf(session: Stripe.Checkout.Session): Outcome {
  if (session.status === 'expired') return 'expired';
  if (session.status === 'complete') return 'paid';
  throw new Error(`checkout session ${session.id} is still ${session.status} after expiring it`);
}

/**
 * Expires up to `limit` open checkouts of closed appeals; answers how many it looked at and
 * expired. One run at a time across processes (two would ask Stripe twice for each session). A
 * session Stripe would not expire, or that was paid (its event not posted yet), rests and the
 * gifts behind it go on.
 */
export async function expireCheckoutsOfClosedAppeals(deps: Deps, limit: number, resting = new RestingGifts()): Promise<{ seen: number; expired: number }> {
  const run = await deps.runAlone('job:closed-appeal-checkouts', () => expireOnce(deps, limit, resting));
  return run.ran ? run.value : { seen: 0, expired: 0 };
}

async function expireOnce(deps: Deps, limit: number, resting: RestingGifts): Promise<{ seen: number; expired: number }> {
  const open = await openCheckoutsOfClosedAppeals(deps.db, limit, resting.ids());
  let expired = 0;
  for (const gift of open) {
    try {
      // No transaction is open while Stripe answers: the gift's row is written after, on its own.
      if ((await expireAtStripe(deps.stripe, gift.sessionId!)) === 'paid') {
        // Paid before the expiry reached Stripe: `checkout.session.completed` books it. Until the
        // poster has, the gift rests rather than being asked about again every run.
        resting.refused(gift.id);
        continue;
      }
      // The session can no longer be paid: the gift ends as its `checkout.session.expired` would
      // end it (that event, posted later, then finds it ended and does nothing).
      await endPendingGiftOfSession(deps.db, gift.id, gift.sessionId!, 'canceled');
      resting.ended(gift.id);
      expired++;
    } catch (err) {
      const times = resting.refused(gift.id);
      // Said at error once, and again only as it keeps failing (1, 2, 4, 8… times): not every poll.
      if ((times & (times - 1)) === 0) deps.log.error({ err: safeError(err), donationId: gift.id, times }, 'could not expire the checkout of a closed appeal');
    }
  }
  return { seen: open.length, expired };
}

const batchSize = 50;

export function startClosedAppealCheckouts(deps: Deps, pollMs = 30_000): PollLoop {
  const resting = new RestingGifts();
  return startPollLoop({
    name: 'open checkouts of closed appeals',
    pollMs,
    log: deps.log,
    // Again at once after a full batch: the gifts that rest are left out, so the next batch is others.
    work: async () => ({ more: (await expireCheckoutsOfClosedAppeals(deps, batchSize, resting)).seen === batchSize }),
  });
}
