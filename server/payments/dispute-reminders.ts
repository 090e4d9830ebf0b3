import { and, eq, gt, inArray, isNotNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, DbOrTx } from '../../db/client';
import { appeals, disputes, donations, type Appeal, type Dispute } from '../../db/schema/index';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeErrorMessage } from '../safe-error';
import type { Platform } from '../auth/permissions';
import { mailTreasurersOfDispute } from './dispute-mail';
import { awaitingAnswer } from './dispute-status';

/** How long before its due date a dispute still awaiting an answer is brought up again. */
export const reminderLeadMs = 2 * 86_400_000;

/**
 * Reminds the treasurers of each dispute that still awaits their answer when its due date is
 * near (Stripe reminds only the account's owner), once per status. Returns how many it reminded.
 */
export async function remindOfDueDisputes(db: Db, platform: Platform, publicUrl: string | undefined, now = new Date(), limit = 100, log?: FastifyBaseLogger): Promise<number> {
  const notYet: SQL = or(sql`${disputes.remindedStatus} IS NULL`, sql`${disputes.remindedStatus} <> ${disputes.status}`)!;
  const due = await db
    .select({ d: disputes, a: appeals })
    .from(disputes)
    .innerJoin(donations, eq(donations.id, disputes.donationId))
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    // Not past due: a reminder of a date gone by helps nobody.
    .where(and(inArray(disputes.status, awaitingAnswer), isNotNull(disputes.evidenceDueBy), gt(disputes.evidenceDueBy, now), lte(disputes.evidenceDueBy, new Date(now.getTime() + reminderLeadMs)), notYet))
    .orderBy(disputes.evidenceDueBy)
    .limit(limit);
  for (const { d, a } of due) {
    await db
      .transaction(async (tx) => {
        // Only if no report moved it meanwhile (the poster may have just recorded an answer).
        const [still] = await tx.update(disputes).set({ remindedStatus: d.status }).where(and(eq(disputes.id, d.id), eq(disputes.status, d.status), notYet)).returning({ id: disputes.id });
        if (still) await mailTreasurersOfDispute(tx, platform, d, a, publicUrl, true);
      })
      .catch(async (err: unknown) => {
        // One that fails must not hold up the rest: it is marked, so the job moves on, and logged.
        log?.error({ disputeId: d.id, err: safeErrorMessage(err) }, 'dispute reminder failed');
        await db.update(disputes).set({ remindedStatus: d.status }).where(eq(disputes.id, d.id));
      });
  }
  return due.length;
}

/**
 * The first word to the treasurers about a dispute's new status. When its due date is already as
 * near as a reminder's would be, this mail is the reminder too, and the job will not send one.
 */
export async function announceDispute(tx: DbOrTx, platform: Platform, dispute: Dispute, appeal: Appeal, publicUrl: string | undefined, now = new Date()): Promise<void> {
  await mailTreasurersOfDispute(tx, platform, dispute, appeal, publicUrl);
  if (dispute.evidenceDueBy && dispute.evidenceDueBy.getTime() - now.getTime() <= reminderLeadMs) {
    await tx.update(disputes).set({ remindedStatus: dispute.status }).where(eq(disputes.id, dispute.id));
  }
}

/** The job: every 15 minutes. */
export function startDisputeReminders(deps: { db: Db; platform: Platform; publicUrl: string; log: FastifyBaseLogger }): PollLoop {
  return startPollLoop({
    name: 'dispute reminders',
    pollMs: 15 * 60_000,
    log: deps.log,
    work: async () => ({ more: (await remindOfDueDisputes(deps.db, deps.platform, deps.publicUrl, new Date(), 100, deps.log)) === 100 }),
  });
}
