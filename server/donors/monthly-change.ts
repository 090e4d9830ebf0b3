import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { Db, Tx } from '../../db/client';
import { donations } from '../../db/schema/index';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { appealOf } from '../payments/donations-store';
import { ownMonthlyGift } from './service';

/*
 * What every change a donor makes to one of her monthly gifts (its amount, a pause, a resume)
 * shares: it takes its turn, and it asks Stripe once per key.
 */

/** What a donor's change of her monthly gift needs: the database, Stripe, and where she reads her gifts (for its mail). */
export interface MonthlyGiftDeps {
  db: Db;
  stripe: Stripe;
  publicUrl: string;
}

/**
 * The signed-in donor's own monthly gift, its row read once the gift's changes are this one's turn
 * (a lock on the gift's name, not its row: a poster batch writing the row never waits on Stripe),
 * and its appeal.
 */
export async function lockedMonthlyGift(tx: Tx, viewer: Viewer, donationId: string) {
  const { organizationId, subscriptionId } = await ownMonthlyGift(tx, viewer, donationId);
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`monthly-amount:${donationId}`}, 0))`);
  const [d] = await tx.select().from(donations).where(eq(donations.id, donationId));
  return { d: d!, appeal: await appealOf(tx, d!.appealId), organizationId, subscriptionId };
}

/** The subscription updated at Stripe under the client's key; a key used before for another change is the client's 409. */
export async function updateSubscriptionAtStripe(stripe: Stripe, subscriptionId: string, params: Stripe.SubscriptionUpdateParams, idempotencyKey: string) {
  try {
    return await stripe.subscriptions.update(subscriptionId, params, { idempotencyKey });
  } catch (err) {
    if (err instanceof Stripe.errors.StripeIdempotencyError) throw idempotencyConflict();
    throw err;
  }
}

/** The client's key names another change than this one. */
export const idempotencyConflict = () =>
  new AppError(409, 'monthly_gift_idempotency_conflict', 'This idempotency key was already used for another change; use a new key for a new change.');

/** Whether Stripe answered with its first answer to this key, changing nothing now. */
export const replayedByStripe = (answer: Stripe.Response<unknown>) => answer.lastResponse.headers['idempotent-replayed'] === 'true';

/** An old change sent again (a page brought back, a late retry) after a later one: not recorded while Stripe keeps the later. */
export const changedSince = () => new AppError(409, 'monthly_gift_changed_since', 'This change was made before, and the gift has been changed since; reload to see where it stands.');
