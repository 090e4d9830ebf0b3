import { and, asc, eq, isNotNull, isNull, ne, notInArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import type { RunAlone } from '../../db/run-alone';
import { appeals, donations, outboxEmails } from '../../db/schema/index';
import { recordAuditOnce } from '../auth/audit';
import { appealTitleIn, appealTitlesColumn } from '../payments/donations-store';
import { endAtStripe, endMailKind } from '../payments/end-subscription';
import { monthlyEndEmail } from '../payments/monthly-end-mail';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { doublingBackoffMs } from '../backoff';
import { safeError } from '../safe-error';

/*
 * A closed appeal takes no more gifts, and its page says so; its monthly gifts must not go on
 * charging donors for it either. Closing (by hand or at the deadline) only marks the appeal: this
 * job then ends each of its running monthly gifts at Stripe and tells the donor, once.
 */

interface Deps {
  db: Db;
  /** Keeps runs apart across processes (Database.runAlone). */
  runAlone: RunAlone;
  stripe: Stripe;
  publicUrl?: string;
  log: FastifyBaseLogger;
}

/**
 * The monthly gifts of closed appeals whose subscription may still charge, oldest first: each one's
 * first donation stands for it. Whatever that donation's own status: a first payment not posted
 * yet (pending) or refused (failed) leaves the subscription at Stripe all the same. Gifts in
 * `resting` (Stripe refused to end them a moment ago) wait their turn.
 */
async function runningGiftsOfClosedAppeals(db: Db, limit: number, resting: string[]) {
  return db
    .select({ d: donations, appeal: { slug: appeals.slug, title: appeals.title, language: appeals.language, organizationId: appeals.organizationId, titles: appealTitlesColumn } })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .where(
      and(
        eq(appeals.status, 'closed'),
        eq(donations.frequency, 'monthly'),
        isNull(donations.parentDonationId),
        isNotNull(donations.subscriptionId),
        isNull(donations.subscriptionCanceledAt),
        ne(donations.status, 'canceled'),
        resting.length > 0 ? notInArray(donations.id, resting) : undefined,
      ),
    )
    .orderBy(asc(donations.createdAt))
    .limit(limit);
}

type Running = Awaited<ReturnType<typeof runningGiftsOfClosedAppeals>>[number];

/**
 * Gifts Stripe would not end, and when each may be tried again: a refusal that lasts (a
 * subscription gone from the account, a key without the right) is tried less and less often, and
 * never holds the batch from the gifts behind it. In memory: a restart tries them all again once.
 */
export class RestingGifts {
  private readonly until = new Map<string, { at: number; failures: number }>();
  constructor(
    private readonly baseMs = 60_000,
    private readonly maxMs = 3_600_000,
  ) {}

  ids(now = Date.now()): string[] {
    return [...this.until].filter(([, r]) => r.at > now).map(([id]) => id);
  }

  /** Answers how many times in a row Stripe refused it. */
  refused(id: string, now = Date.now()): number {
    const failures = (this.until.get(id)?.failures ?? 0) + 1;
    this.until.set(id, { at: now + doublingBackoffMs(failures, this.baseMs, this.maxMs), failures });
    return failures;
  }

  ended(id: string): void {
    this.until.delete(id);
  }
}

/**
 * Ends up to `limit` monthly gifts of closed appeals; answers how many it looked at and ended. A
 * gift Stripe will not end now rests, and the gifts behind it go on. One run at a time, across
 * processes: two workers would both read the same gifts and both ask Stripe to end each (its
 * idempotency key keeps that to one ending, but the second is answered 409 while the first runs).
 * A run that finds another under way does nothing: that one is ending the gifts.
 */
export async function endMonthlyGiftsOfClosedAppeals(deps: Deps, limit: number, resting = new RestingGifts()): Promise<{ seen: number; ended: number }> {
  const run = await deps.runAlone('job:closed-appeal-gifts', () => endGiftsOnce(deps, limit, resting));
  return run.ran ? run.value : { seen: 0, ended: 0 };
}

async function endGiftsOnce(deps: Deps, limit: number, resting: RestingGifts): Promise<{ seen: number; ended: number }> {
  const running = await runningGiftsOfClosedAppeals(deps.db, limit, resting.ids());
  let ended = 0;
  for (const gift of running) {
    try {
      await endGift(deps, gift);
      resting.ended(gift.d.id);
      ended++;
    } catch (err) {
      const times = resting.refused(gift.d.id);
      // Said at error once, and again only as it keeps failing (1, 2, 4, 8… times): not every poll.
      if ((times & (times - 1)) === 0) deps.log.error({ err: safeError(err), donationId: gift.d.id, times }, 'could not end the monthly gift of a closed appeal');
    }
  }
  return { seen: running.length, ended };
}

async function endGift(deps: Deps, { d, appeal }: Running): Promise<void> {
  // A renewal Stripe made and has not charged yet is held and voided with the end: a closed appeal
  // charges no one more month. One Stripe is charging already is taken, and the mail says so.
  const { endedBefore, renewalUnderWay } = await endAtStripe(deps.stripe, d.subscriptionId!);
  // A first payment that failed was told as such; the gift never ran, so no word of its ending.
  const kind = d.status === 'failed' ? null : endMailKind(endedBefore, 'appeal_closed_ended');
  const mail = kind && monthlyEndEmail(kind, d, { title: appealTitleIn(appeal, d.locale), url: `${deps.publicUrl ?? ''}/appeals/${appeal.slug}` }, { renewalUnderWay });
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(donations)
      .set({ subscriptionCanceledAt: sql`coalesce(${donations.subscriptionCanceledAt}, ${endedBefore?.at.toISOString() ?? null}::timestamptz, now())` })
      .where(eq(donations.id, d.id))
      .returning({ canceledAt: donations.subscriptionCanceledAt });
    // Stripe's own event for the ending may have been posted first: the donor is told all the same.
    if (mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
    await recordAuditOnce(tx, {
      actorUserId: null,
      action: 'donation.end_monthly_appeal_closed',
      organizationId: appeal.organizationId,
      subjectType: 'donation',
      subjectId: d.id,
      after: { subscriptionId: d.subscriptionId, endedAt: row?.canceledAt?.toISOString() ?? null },
    });
  });
}

const batchSize = 50;

export function startClosedAppealGifts(deps: Deps, pollMs = 30_000): PollLoop {
  const resting = new RestingGifts();
  return startPollLoop({
    name: 'monthly gifts of closed appeals',
    pollMs,
    log: deps.log,
    // Again at once after a full batch: the gifts Stripe refused rest, so the next batch is others.
    work: async () => ({ more: (await endMonthlyGiftsOfClosedAppeals(deps, batchSize, resting)).seen === batchSize }),
  });
}
