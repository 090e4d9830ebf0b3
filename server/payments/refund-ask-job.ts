import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import Stripe from 'stripe';
import { queryRows, type Db } from '../../db/client';
import { recordAudit } from '../auth/audit';
import { auditRefundOnce } from './refund-audit';
import { AppError } from '../errors';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeError } from '../safe-error';
import { refundAskUnansweredMs } from './refund-ask-times';
import { askExpiredCode, refundDonation, type RefundAnswer } from './refunds';

// Every outcome of a round is audited as the system's (no actor), like an appeal closed by its
// deadline: the treasurer who asked is on the ask itself.

export const refundAskJobDefaults = {
  /** Asks sent again per round, oldest first; a full round runs the next one at once. */
  batchSize: 20,
  /**
   * An ask claimed for sending is left to its claimant this long. Far more than one send can take
   * (a listing and a create, each at most three tries of 20 s), and the wait before one that failed
   * for now (Stripe down, or a refund Stripe shows that the books do not know yet) is tried again.
   */
  leaseSeconds: 10 * 60,
  pollMs: 60_000,
};

type JobDeps = { db: Db; stripe: Stripe; log: FastifyBaseLogger };

type ClaimedAsk = {
  id: string;
  donation_id: string;
  amount_minor: string;
  reason: string;
  idempotency_key: string;
  organization_id: string;
};

/**
 * One round: the oldest unanswered asks are sent again exactly as the gift page's "Check with
 * Stripe" button sends them. One past its window is looked for at Stripe first like any other (the
 * refund may have been made, its answer and event lost) and only then refused as expired, by the
 * same path. Returns how many asks it sent again, and how many of them ended expired.
 */
export async function settleUnansweredAsks(
  deps: JobDeps,
  opts: Partial<typeof refundAskJobDefaults> = {},
  stopping: () => boolean = () => false,
): Promise<{ expired: number; sent: number }> {
  const o = { ...refundAskJobDefaults, ...opts };
  let sent = 0;
  let expired = 0;
  // Stopping, the app finishes the send under way only: an ask not claimed yet is the next instance's.
  for (; sent < o.batchSize && !stopping(); sent++) {
    const ask = await claimNext(deps.db, o.leaseSeconds);
    if (!ask) break;
    if ((await resend(deps, ask)) === askExpiredCode) expired++;
  }
  return { expired, sent };
}

/**
 * The oldest unanswered ask nobody holds, claimed for this round: its lease is written and
 * committed before Stripe is called, so another instance (whose claim skips the locked row, or
 * re-reads it once committed and finds the lease) never sends the same ask meanwhile. No lock is
 * held while Stripe answers: the resend's own writes must not wait on the claim. A lease outlived
 * (a send slower than the lease) lets a second send through, and that is still safe: the resend
 * looks for the ask's refund at Stripe by the ask's id first, and creates under the ask's own
 * idempotency key, so Stripe answers the same refund (or 409 while the first runs), never a second.
 */
async function claimNext(db: Db, leaseSeconds: number): Promise<ClaimedAsk | undefined> {
  const [ask] = await queryRows<ClaimedAsk>(
    db,
    sql`UPDATE refund_asks a SET next_resend_at = now() + make_interval(secs => ${leaseSeconds})
          FROM donations d JOIN appeals p ON p.id = d.appeal_id
         WHERE a.id = ANY(ARRAY(SELECT id FROM refund_asks
                                 WHERE status = 'asking' AND asked_at <= now() - make_interval(secs => ${refundAskUnansweredMs / 1000})
                                   AND (next_resend_at IS NULL OR next_resend_at <= now())
                                 ORDER BY asked_at, id LIMIT 1 FOR UPDATE SKIP LOCKED))
           AND d.id = a.donation_id
     RETURNING a.id, a.donation_id, a.amount_minor::text AS amount_minor, a.reason, a.idempotency_key, p.organization_id`,
  );
  return ask;
}

/** The ask sent again through the button's own path, its outcome audited and logged; answers why it was refused, if it was. */
async function resend(deps: JobDeps, ask: ClaimedAsk): Promise<string | undefined> {
  const audit = (action: string, after: Record<string, unknown>) =>
    recordAudit(deps.db, { actorUserId: null, action, organizationId: ask.organization_id, subjectType: 'donation', subjectId: ask.donation_id, after: { askId: ask.id, ...after } });
  let result: RefundAnswer;
  try {
    result = await refundDonation({ db: deps.db, stripe: deps.stripe }, ask.donation_id, {
      amountMinor: BigInt(ask.amount_minor),
      reason: ask.reason as Stripe.RefundCreateParams.Reason,
      idempotencyKey: ask.idempotency_key,
    });
  } catch (err) {
    const refused = refusedHere(err) ? await refusedCode(deps.db, ask.id) : undefined;
    if (refused) {
      await audit(refused === askExpiredCode ? 'donation.refund_expired' : 'donation.refund_refused', { amountMinor: ask.amount_minor, refusedCode: refused, idempotencyKey: ask.idempotency_key });
      deps.log.warn({ askId: ask.id, donationId: ask.donation_id, refusedCode: refused }, 'unanswered refund ask refused');
      return refused;
    }
    // Anything else may pass (Stripe unreachable, rate-limited or failing; a refund Stripe shows
    // that the books do not know yet): the ask stays spoken for and is tried after its lease.
    deps.log.warn({ askId: ask.id, donationId: ask.donation_id, err: safeError(err) }, 'unanswered refund ask left for a later round');
    return undefined;
  }
  // Replayed: someone else (the poster, the button) learnt the answer first, and recorded it.
  if (result.replayed) return undefined;
  await auditRefundOnce(deps.db, { actorUserId: null, organizationId: ask.organization_id, subjectId: ask.donation_id, after: { askId: ask.id, refundId: result.refundId, amountMinor: result.amountMinor, status: result.status, reason: ask.reason, idempotencyKey: ask.idempotency_key } });
  deps.log.info({ askId: ask.id, donationId: ask.donation_id, refundId: result.refundId }, 'unanswered refund ask finished');
  return undefined;
}

/**
 * The errors with which the resend path refuses an ask for good, having recorded it refused: Stripe
 * said no (askStripe), or the ask's window closed meanwhile (answerAgain). Anything else leaves it.
 */
const refusedHere = (err: unknown): boolean =>
  err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError || (err instanceof AppError && err.code === 'donation.refund_ask_expired');

/** Why an ask was refused, if it is refused now (a listing Stripe refused refuses no ask). */
async function refusedCode(db: Db, askId: string): Promise<string | undefined> {
  const [row] = await queryRows<{ status: string; refused_code: string | null }>(db, sql`SELECT status::text, refused_code FROM refund_asks WHERE id = ${askId}`);
  return row?.status === 'refused' ? (row.refused_code ?? 'refused') : undefined;
}

/** The job: unanswered asks are settled a minute or two after the gift page would offer its button. */
export function startRefundAskJob(deps: JobDeps, opts: Partial<typeof refundAskJobDefaults> = {}): PollLoop {
  const o = { ...refundAskJobDefaults, ...opts };
  return startPollLoop({
    name: 'refund ask job',
    pollMs: o.pollMs,
    log: deps.log,
    wakeable: false,
    work: async ({ stopping }) => {
      const { sent } = await settleUnansweredAsks(deps, o, stopping);
      return { more: sent === o.batchSize };
    },
  });
}
