import { randomUUID } from 'node:crypto';
import { and, eq, notExists, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import { queryRows, type Db, type DbOrTx, type Tx } from '../../db/client';
import { donations, refundAsks, type Donation, type RefundAsk } from '../../db/schema/index';
import { AppError } from '../errors';
import { formatMinorAsDecimalString, fromStripeAmount, stripeStepMinor, toStripeAmount } from '../ledger/money';
import { refundAskWindow } from './refund-ask-times';
import { storedEventObject } from './handlers/posted';

/** A refund asked of Stripe that the ledger has not posted yet. */
export interface RefundAwaiting {
  askId: string;
  /** Stripe's refund; null while Stripe's answer to the ask has not been seen. */
  refundId: string | null;
  amountMinor: bigint;
  askedAt: Date;
  /** The ask's key and reason: sending them again finishes an ask whose answer was never seen. */
  idempotencyKey: string;
  reason: string;
}

// A gift is refunded a few times at most; more asks than this on one gift is a bug upstream.
const refundAsksMax = 50;

/**
 * A gift's refund asks that Stripe has not yet confirmed to the ledger: not refused, not posted
 * under `stripe:<refund>:refund`, and not reported failed or canceled (an ignored refund event).
 * Between the ask and Stripe's event this money is spoken for: it shows as asked, and is not
 * offered for refund a second time.
 */
export async function refundsAwaiting(db: DbOrTx, donationId: string): Promise<RefundAwaiting[]> {
  const asked = await queryRows<{ id: string; refund_id: string | null; amount_minor: string; asked_at: Date | string; idempotency_key: string; reason: string }>(
    db,
    sql`SELECT a.id, a.refund_id, a.amount_minor::text AS amount_minor, a.asked_at, a.idempotency_key, a.reason
          FROM refund_asks a
         WHERE a.donation_id = ${donationId} AND a.status <> 'refused' AND a.asked_at > now() - ${refundAskWindow}::interval
           AND (a.refund_id IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = 'stripe:' || a.refund_id || ':refund'))
         ORDER BY a.asked_at, a.id
         LIMIT ${refundAsksMax}`,
  );
  const unposted = asked.map((r) => ({ askId: r.id, refundId: r.refund_id, amountMinor: BigInt(r.amount_minor), askedAt: new Date(r.asked_at), idempotencyKey: r.idempotency_key, reason: r.reason }));
  const made = unposted.flatMap((r) => (r.refundId ? [r.refundId] : []));
  if (made.length === 0) return unposted;
  // Rare (only while a refund is on its way, or one failed before it posted): the ignored refund
  // events received since the oldest such ask.
  const failed = await queryRows<{ id: string }>(
    db,
    sql`SELECT DISTINCT ${storedEventObject}->>'id' AS id
          FROM stripe_events
         WHERE status = 'ignored' AND type IN ('refund.created', 'refund.updated', 'refund.failed') AND received_at >= ${unposted[0]!.askedAt.toISOString()}::timestamptz
           AND ${storedEventObject}->>'id' IN (${sql.join(made.map((id) => sql`${id}`), sql`, `)})`,
  );
  const gone = new Set(failed.map((f) => f.id));
  return unposted.filter((r) => r.refundId === null || !gone.has(r.refundId));
}

/** Whether a gift's state lets it be refunded at all: paid, and not wholly refunded, disputed or failed. */
export function isRefundable(d: Pick<Donation, 'chargeId' | 'status'>): boolean {
  return d.chargeId !== null && (d.status === 'succeeded' || d.status === 'partially_refunded');
}

/** What can still be refunded of a gift: what was paid, less what is refunded or asked of Stripe. */
export function refundableMinor(d: Pick<Donation, 'amountMinor' | 'coverFeesMinor' | 'refundedMinor'>, awaiting: RefundAwaiting[]): bigint {
  const left = d.amountMinor + d.coverFeesMinor - d.refundedMinor - awaiting.reduce((sum, r) => sum + r.amountMinor, 0n);
  return left > 0n ? left : 0n;
}

export interface RefundAnswer {
  refundId: string;
  amountMinor: bigint;
  status: string | null;
  /** The form was sent before and its answer known: this is the refund it asked for, not a new one. */
  replayed: boolean;
  askId: string;
}

type RefundDeps = {
  db: Db;
  stripe: Stripe;
  /**
   * Called when this request records Stripe's refusal of an ask, in the transaction that records
   * it (the treasurer's button audits the refusal there; a replay of a refused ask does not call).
   */
  onRefused?: (tx: Tx, ask: RefundAsk, refusedCode: string | null) => Promise<void>;
};

/**
 * A refund asked of Stripe; the ledger moves only when Stripe's refund event arrives. The ask is
 * written first, behind the gift's row lock, so two treasurers (or two clicks) are checked one
 * after the other against what is neither refunded nor already asked, with a precise answer for
 * each refusal. A form sent again under the same key is that ask, answered again, never a second
 * refund: Stripe forgets its idempotency keys after a day, our asks do not.
 */
export async function refundDonation(
  deps: RefundDeps,
  donationId: string,
  opts: { amountMinor?: bigint; reason: Stripe.RefundCreateParams.Reason; idempotencyKey?: string; askedBy?: string },
): Promise<RefundAnswer> {
  if (opts.amountMinor !== undefined && opts.amountMinor <= 0n) {
    throw new AppError(400, 'donation.refund_not_positive', 'The amount to refund must be more than zero.');
  }
  const key = opts.idempotencyKey ?? randomUUID();
  const { donation, ask, fresh } = await deps.db.transaction(async (tx) => {
    const [d] = await tx.select().from(donations).where(eq(donations.id, donationId)).for('no key update');
    if (!d) throw new AppError(404, 'donation_not_found', 'No such donation.');
    const [prior] = await tx.select().from(refundAsks).where(and(eq(refundAsks.donationId, d.id), eq(refundAsks.idempotencyKey, key)));
    if (prior) return { donation: d, ask: prior, fresh: false };
    const amountMinor = await checkedAmount(tx, d, opts.amountMinor);
    const [made] = await tx.insert(refundAsks).values({ donationId: d.id, idempotencyKey: key, amountMinor, reason: opts.reason, askedBy: opts.askedBy ?? null }).returning();
    return { donation: d, ask: made!, fresh: true };
  });
  if (!fresh) {
    if (opts.amountMinor !== undefined && opts.amountMinor !== ask.amountMinor) {
      throw new AppError(409, 'donation.idempotency_conflict', 'This idempotency key was already used for a refund of another amount; use a new key for a new refund.');
    }
    return answerAgain(deps, donation, ask);
  }
  return { ...(await askStripe(deps, donation, ask)), replayed: false };
}

/** The amount to ask for, checked against the gift's state and what is neither refunded nor asked. */
async function checkedAmount(tx: DbOrTx, d: Donation, asked: bigint | undefined): Promise<bigint> {
  if (d.status === 'refunded') throw new AppError(409, 'donation.nothing_to_refund', 'This gift is refunded in full: nothing is left to refund.', { refundableMinor: '0' });
  if (!isRefundable(d)) throw new AppError(409, 'donation.not_refundable', `A ${d.status} donation cannot be refunded.`);
  const refundable = refundableMinor(d, await refundsAwaiting(tx, d.id));
  if (refundable === 0n) {
    throw new AppError(409, 'donation.nothing_to_refund', 'Nothing is left to refund: the rest of this gift is refunded or asked of Stripe already.', { refundableMinor: '0' });
  }
  const amountMinor = asked ?? refundable;
  // Checked before the ask is written: an amount Stripe cannot take would otherwise hold money back.
  const step = stripeStepMinor(d.currency);
  if (amountMinor % step !== 0n) {
    throw new AppError(400, 'donation.refund_not_payable', `Stripe refunds ${d.currency} in steps of ${formatMinorAsDecimalString(step, d.currency)}.`, { stepMinor: step.toString(), currency: d.currency });
  }
  if (amountMinor > refundable) {
    throw new AppError(400, 'donation.refund_too_large', `At most ${formatMinorAsDecimalString(refundable, d.currency)} ${d.currency} can be refunded.`, { refundableMinor: refundable.toString(), currency: d.currency });
  }
  return amountMinor;
}

/**
 * Asks Stripe for the ask's refund under the ask's own key, and records Stripe's answer. A refusal
 * (nothing made) frees the money again; no answer at all (a timeout, Stripe down) leaves the ask
 * spoken for, because Stripe may have made the refund.
 */
async function askStripe(deps: RefundDeps, d: Donation, ask: RefundAsk): Promise<Omit<RefundAnswer, 'replayed'>> {
  let refund: Stripe.Refund;
  try {
    refund = await deps.stripe.refunds.create(
      { charge: d.chargeId!, amount: toStripeAmount(ask.amountMinor, d.currency), reason: ask.reason as Stripe.RefundCreateParams.Reason, metadata: { donation_id: d.id, refund_ask_id: ask.id } },
      { idempotencyKey: `donation:${d.id}:refund:${ask.idempotencyKey}` },
    );
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError && err.statusCode === 409) {
      // The same ask is in flight from another click (Stripe answers 409 while a key's first
      // request runs): that request records the answer.
      throw new AppError(409, 'donation.refund_in_progress', 'This refund is being asked of Stripe already; it shows on the gift once Stripe answers.');
    }
    if (err instanceof Stripe.errors.StripeIdempotencyError) {
      // Stripe holds this key for other parameters (a form first sent before an upgrade changed
      // what is asked): the ask stays spoken for until its refund is found or it expires.
      throw new AppError(409, 'donation.refund_key_reused', 'Stripe holds this refund key for another request; start a new refund from the gift page.');
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
      const refusedCode = err.code?.slice(0, 100) ?? null;
      await deps.db.transaction(async (tx) => {
        const recorded = await tx
          .update(refundAsks)
          .set({ status: 'refused', refusedCode, answeredAt: new Date() })
          .where(and(eq(refundAsks.id, ask.id), eq(refundAsks.status, 'asking')))
          .returning({ id: refundAsks.id });
        if (recorded.length > 0) await deps.onRefused?.(tx, ask, refusedCode);
      });
    }
    throw err;
  }
  return recordAnswer(deps.db, ask, refund);
}

/** Stripe's refund for an ask, kept; a refund Stripe failed or canceled at once frees the money again. */
async function recordAnswer(db: Db, ask: RefundAsk, refund: Stripe.Refund): Promise<Omit<RefundAnswer, 'replayed'>> {
  const refused = refund.status === 'failed' || refund.status === 'canceled';
  await db
    .update(refundAsks)
    .set(refused ? { status: 'refused', refundId: refund.id, refusedCode: `refund_${refund.status}`, answeredAt: new Date() } : { status: 'asked', refundId: refund.id, answeredAt: new Date() })
    .where(and(eq(refundAsks.id, ask.id), eq(refundAsks.status, 'asking')));
  return { refundId: refund.id, amountMinor: ask.amountMinor, status: refund.status, askId: ask.id };
}

/** Why an ask never sent is refused once it stopped counting as spoken for. */
export const askExpiredCode = 'ask_expired';

/**
 * The answer to an ask made before under the same key: Stripe's refund as it is now. An ask whose
 * answer we never saw is looked for at Stripe by the ask's id first (Stripe forgets a key after a
 * day, so asking again blindly could refund twice), and asked again under its key only while it
 * still counts as spoken for: past that, other refunds may have been checked without it.
 * `replayed` is false when this request is the one that learnt Stripe's answer, so it is audited.
 */
async function answerAgain(deps: RefundDeps, d: Donation, ask: RefundAsk): Promise<RefundAnswer> {
  if (ask.status === 'refused' && ask.refundId === null) {
    throw new AppError(400, 'payment_provider.refused', 'The payment provider refused this refund.', { providerCode: ask.refusedCode });
  }
  if (ask.refundId !== null) {
    const refund = await deps.stripe.refunds.retrieve(ask.refundId);
    return { refundId: refund.id, amountMinor: ask.amountMinor, status: refund.status, replayed: true, askId: ask.id };
  }
  const { mine, unknown } = await refundsAtStripe(deps, d, ask);
  if (mine) return { ...(await recordAnswer(deps.db, ask, mine)), replayed: false };
  if (unknown) {
    // A refund made elsewhere (Stripe's Dashboard) carries no ask id: it may be this very one.
    throw new AppError(409, 'donation.refund_unreconciled', 'Stripe shows a refund of this gift that is not in our books yet; once it is posted, check what is left to refund.', { refundId: unknown });
  }
  const [expired] = await deps.db
    .update(refundAsks)
    .set({ status: 'refused', refusedCode: askExpiredCode, answeredAt: new Date() })
    .where(and(eq(refundAsks.id, ask.id), eq(refundAsks.status, 'asking'), sql`${refundAsks.askedAt} <= now() - ${refundAskWindow}::interval`))
    .returning({ id: refundAsks.id });
  if (expired) throw new AppError(409, 'donation.refund_ask_expired', 'This refund was never made, and it was asked too long ago to make now; start a new refund from the gift page.');
  return { ...(await askStripe(deps, d, ask)), replayed: false };
}

/**
 * The charge's refunds at Stripe: the one made for this ask (it carries the ask's id), if any, and
 * one we know nothing of (neither posted nor answered to an ask), which forbids asking blindly.
 */
async function refundsAtStripe(deps: RefundDeps, d: Donation, ask: RefundAsk): Promise<{ mine?: Stripe.Refund; unknown?: string }> {
  const live: Stripe.Refund[] = [];
  for await (const refund of deps.stripe.refunds.list({ charge: d.chargeId!, limit: 100 })) {
    if (refund.metadata?.refund_ask_id === ask.id && fromStripeAmount(refund.amount, d.currency) === ask.amountMinor) return { mine: refund };
    if (refund.status !== 'failed' && refund.status !== 'canceled') live.push(refund);
  }
  if (live.length === 0) return {};
  const known = await queryRows<{ id: string }>(
    deps.db,
    sql`SELECT r.id FROM (VALUES ${sql.join(live.map((r) => sql`(${r.id})`), sql`, `)}) AS r(id)
         WHERE EXISTS (SELECT 1 FROM refund_asks a WHERE a.refund_id = r.id)
            OR EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = 'stripe:' || r.id || ':refund')`,
  );
  const ours = new Set(known.map((k) => k.id));
  return { unknown: live.find((r) => !ours.has(r.id))?.id };
}

/**
 * Stripe's refund as the poster posts it, on the ask that made it when that ask never heard back
 * (a timeout, a crash): otherwise the ask would hold the same money again until it expires.
 */
export async function answerAskFromEvent(tx: Tx, donationId: string, refund: Stripe.Refund): Promise<void> {
  const parsed = z.uuid().safeParse(refund.metadata?.refund_ask_id);
  if (!parsed.success) return;
  const askId = parsed.data;
  const already = tx.select({ id: refundAsks.id }).from(refundAsks).where(eq(refundAsks.refundId, refund.id));
  await tx
    .update(refundAsks)
    .set({ status: 'asked', refundId: refund.id, answeredAt: new Date() })
    .where(and(eq(refundAsks.id, askId), eq(refundAsks.donationId, donationId), eq(refundAsks.status, 'asking'), notExists(already)));
}
