import { and, asc, eq, isNotNull, isNull, notInArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import { appeals, donations, outboxEmails } from '../../db/schema/index';
import { recordAuditOnce } from '../auth/audit';
import { appealTitleIn, appealTitlesColumn } from '../payments/donations-store';
import { endAtStripe } from '../payments/end-subscription';
import { monthlyEndEmail } from '../payments/monthly-end-mail';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeError } from '../safe-error';

/*
 * A closed appeal takes no more gifts, and its page says so; its monthly gifts must not go on
 * charging donors for it either. Closing (by hand or at the deadline) only marks the appeal: this
 * job then ends each of its running monthly gifts at Stripe and tells the donor, once.
 */

interface Deps {
  db: Db;
  stripe: Stripe;
  publicUrl?: string;
  log: FastifyBaseLogger;
}

/** The running monthly gifts of closed appeals, oldest first: each one's first donation stands for it. */
async function runningGiftsOfClosedAppeals(db: Db, limit: number) {
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
        notInArray(donations.status, ['pending', 'failed', 'canceled']),
      ),
    )
    .orderBy(asc(donations.createdAt))
    .limit(limit);
}

type Running = Awaited<ReturnType<typeof runningGiftsOfClosedAppeals>>[number];

/**
 * Ends up to `limit` monthly gifts of closed appeals; answers how many it looked at. A gift Stripe
 * will not end now (it did not answer) is left for the next round, and does not hold up the others.
 */
export async function endMonthlyGiftsOfClosedAppeals(deps: Deps, limit: number): Promise<{ seen: number; ended: number }> {
  const running = await runningGiftsOfClosedAppeals(deps.db, limit);
  let ended = 0;
  for (const gift of running) {
    try {
      await endGift(deps, gift);
      ended++;
    } catch (err) {
      deps.log.error({ err: safeError(err), donationId: gift.d.id }, 'could not end the monthly gift of a closed appeal');
    }
  }
  return { seen: running.length, ended };
}

async function endGift(deps: Deps, { d, appeal }: Running): Promise<void> {
  // Null: ended now, by this call (or by an earlier one with the same idempotency key). A date:
  // Stripe had ended it before (the donor, a treasurer, failed renewals), and the donor knows why.
  const endedBefore = await endAtStripe(deps.stripe, d.subscriptionId!);
  const mail = endedBefore ? null : monthlyEndEmail('appeal_closed_ended', d, { title: appealTitleIn(appeal, d.locale), url: `${deps.publicUrl ?? ''}/appeals/${appeal.slug}` });
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(donations)
      .set({ subscriptionCanceledAt: sql`coalesce(${donations.subscriptionCanceledAt}, ${endedBefore?.toISOString() ?? null}::timestamptz, now())` })
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
  return startPollLoop({
    name: 'monthly gifts of closed appeals',
    pollMs,
    log: deps.log,
    // Again at once only after a full batch all ended: one Stripe would not end waits for the next poll.
    work: async () => {
      const { seen, ended } = await endMonthlyGiftsOfClosedAppeals(deps, batchSize);
      return { more: seen === batchSize && ended === seen };
    },
  });
}
