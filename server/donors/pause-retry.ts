import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { auditLog, type Donation } from '../../db/schema/index';
import { upcomingCharge, type AppealSchedule } from '../payments/upcoming-charge';
import { changedSince, idempotencyConflict } from './monthly-change';

/*
 * A pause sent again under the key of one already made (its answer was lost, a double click) is
 * answered from what that pause recorded, asking Stripe nothing: recomputed, its end would move on
 * once a period boundary passed in between, and Stripe would refuse the key as reused with other
 * parameters, though the gift is paused as asked.
 */

/** What the pause made under `key` recorded (its audit): how many months, and the end Stripe answered. Null when this key paused nothing yet. */
export async function pauseMadeUnder(tx: Tx, donationId: string, key: string): Promise<{ months: number; resumesAt: string | null } | null> {
  const [row] = await tx
    .select({ after: auditLog.after })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'donation'), eq(auditLog.subjectId, donationId), eq(auditLog.action, 'donation.pause_monthly'), sql`${auditLog.after}->>'idempotencyKey' = ${key}`))
    .limit(1);
  const after = row?.after as { months?: unknown; resumesAt?: unknown } | undefined;
  if (!after || typeof after.months !== 'number') return null;
  return { months: after.months, resumesAt: typeof after.resumesAt === 'string' ? after.resumesAt : null };
}

/**
 * The answer the pause made under this key gave, while the gift is still paused as it left it
 * (changed: false). Another length under the same key is the client's conflict; a gift changed
 * since (resumed, paused anew, its pause over) is not recorded as paused again.
 */
export function answerAgain(d: Donation, appeal: AppealSchedule, made: { months: number; resumesAt: string | null }, months: number) {
  if (made.months !== months) throw idempotencyConflict();
  const pausedUntil = d.pausedUntil?.toISOString() ?? null;
  if (!d.collectionPaused || pausedUntil !== made.resumesAt) throw changedSince();
  return { pausedUntil, nextChargeAt: upcomingCharge(d, appeal, new Date())?.toISOString() ?? null, changed: false };
}
