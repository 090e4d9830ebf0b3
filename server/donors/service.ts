import { and, desc, eq, isNull, notInArray, sql, type SQL } from 'drizzle-orm';
import Stripe from 'stripe';
import type { DbOrTx } from '../../db/client';
import { appealTranslations, appeals, donations, outboxEmails, type Donation } from '../../db/schema/index';
import { recordAuditOnce } from '../auth/audit';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { appealOf, appealTitleIn, appealTitleInSql } from '../payments/donations-store';
import { monthlyEndEmail } from '../payments/monthly-end-mail';
import { endAtStripe, endMailKind } from '../payments/end-subscription';
import { endsWithAppealFirst, upcomingCharge, type AppealSchedule } from '../payments/upcoming-charge';
import { pausedNow } from '../payments/collection-pause';
import type { MonthlyGiftDeps } from './monthly-change';
import { chargedOf, renewalAmountOf } from '../payments/renewal-amount';

// A donor's gifts are the ones given with the address they proved by signing in with it.
export const givenBy = (viewer: Viewer) => sql`lower(${donations.donorEmail}) = ${viewer.email.trim().toLowerCase()}`;

/**
 * The signed-in donor's gifts, each appeal named as its page names it in `locale` (translated
 * where the organizer translated it), in the same query.
 */
export async function myDonations(db: DbOrTx, viewer: Viewer, limit: number, locale?: string) {
  const rows = await myGiftRows(db, viewer, locale).orderBy(desc(donations.createdAt)).limit(limit);
  return rows.map((row) => myGiftOf(row, viewer));
}

/**
 * One of the signed-in donor's gifts by its id, however old (a receipt is opened by id, not found
 * among the newest few hundred). Someone else's answers exactly like a missing one: ids reveal nothing.
 */
export async function myDonation(db: DbOrTx, viewer: Viewer, donationId: string, locale?: string) {
  const [row] = await myGiftRows(db, viewer, locale, eq(donations.id, donationId));
  if (!row) throw new AppError(404, 'donation_not_found', 'No gift of yours by that id.');
  return myGiftOf(row, viewer);
}

/** The donor's own gifts that reached Stripe, each with its appeal named in `locale`: one query for the list and a receipt. */
function myGiftRows(db: DbOrTx, viewer: Viewer, locale: string | undefined, ...where: SQL[]) {
  const named = appealTitleInSql(locale);
  return db
    .select({ d: donations, slug: appeals.slug, title: named.title, language: named.language })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .leftJoin(appealTranslations, named.join)
    .where(and(givenBy(viewer), notInArray(donations.status, ['pending', 'canceled']), ...where))
    .$dynamic();
}

function myGiftOf({ d, slug, title, language }: { d: Donation; slug: string; title: string; language: string }, viewer: Viewer) {
  return {
    id: d.id,
    appeal: { slug, title, language },
    currency: d.currency,
    amountMinor: d.amountMinor.toString(),
    coverFeesMinor: d.coverFeesMinor.toString(),
    refundedMinor: d.refundedMinor.toString(),
    frequency: d.frequency,
    status: d.status,
    anonymous: d.anonymous,
    donor: { name: d.donorName, email: d.donorEmail ?? viewer.email },
    at: (d.succeededAt ?? d.createdAt).toISOString(),
    // The donor's own calendar, for a page whose reader's browser has not said its zone.
    timeZone: d.timeZone,
  };
}

/** Monthly gifts: the first donation of each subscription stands for it. Appeals named as in myDonations. */
export async function myMonthlyGifts(db: DbOrTx, viewer: Viewer, locale?: string) {
  const now = new Date();
  const named = appealTitleInSql(locale);
  const rows = await db
    .select({ d: donations, slug: appeals.slug, title: named.title, language: named.language, appealSchedule: { status: appeals.status, deadlineAt: appeals.deadlineAt } })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .leftJoin(appealTranslations, named.join)
    .where(and(givenBy(viewer), eq(donations.frequency, 'monthly'), isNull(donations.parentDonationId), notInArray(donations.status, ['pending', 'failed', 'canceled'])))
    .orderBy(desc(donations.createdAt))
    .limit(100);
  return rows.map(({ d, slug, title, language, appealSchedule }) => monthlyGiftOf(d, { slug, title, language }, appealSchedule, now));
}

function monthlyGiftOf(d: Donation, appeal: { slug: string; title: string; language: string }, appealSchedule: AppealSchedule, now: Date) {
  const appealStatus = appealSchedule.status;
  // What each renewal charges from now on (the donor may have changed it), and how it splits.
  const renewal = renewalAmountOf(d);
  // Paused at Stripe (by the donor, or a treasurer in the Dashboard) while the gift goes on after
  // the pause: one that ended, is set to end, has a renewal unpaid or whose appeal closed says that
  // instead of a pause that would promise a charge after it.
  const paused = pausedNow(d, now) && !d.subscriptionCanceledAt && !d.subscriptionEndsAt && !d.renewalFailedAt && appealStatus !== 'closed';
  return {
    id: d.id,
    appeal,
    currency: d.currency,
    amountMinor: chargedOf(renewal).toString(),
    giftAmountMinor: renewal.amountMinor.toString(),
    coversFees: renewal.coverFeesMinor > 0n,
    startedAt: (d.succeededAt ?? d.createdAt).toISOString(),
    canceledAt: d.subscriptionCanceledAt?.toISOString() ?? null,
    appealClosed: appealStatus === 'closed',
    // The appeal closes then, and the gift ends with it: no charge after it is named (upcomingCharge).
    appealDeadlineAt: appealStatus === 'closed' ? null : (appealSchedule.deadlineAt?.toISOString() ?? null),
    // While its last renewal is unpaid: when that attempt failed and when Stripe tries next.
    renewalFailedAt: d.renewalFailedAt?.toISOString() ?? null,
    nextAttemptAt: d.renewalNextAttemptAt?.toISOString() ?? null,
    nextChargeAt: upcomingCharge(d, appealSchedule, now)?.toISOString() ?? null,
    endsWithAppealFirst: endsWithAppealFirst(d, appealSchedule, now),
    // Set to end on a day to come (at Stripe): that day, until it has ended.
    endsAt: d.subscriptionCanceledAt ? null : (d.subscriptionEndsAt?.toISOString() ?? null),
    paused,
    pausedUntil: paused ? (d.pausedUntil?.toISOString() ?? null) : null,
    // The donor's own calendar, for a page whose reader's browser has not said its zone.
    timeZone: d.timeZone,
  };
}

/**
 * One of the signed-in donor's own monthly gifts (its first donation, given with the address they
 * signed in with) that reached Stripe. Someone else's answers exactly like a missing one: ids
 * reveal nothing.
 */
export async function ownMonthlyGift(db: DbOrTx, viewer: Viewer, donationId: string) {
  const [gift] = await db
    .select({ d: donations, organizationId: appeals.organizationId })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .where(and(eq(donations.id, donationId), givenBy(viewer), eq(donations.frequency, 'monthly'), isNull(donations.parentDonationId)));
  if (!gift || !gift.d.subscriptionId) throw new AppError(404, 'monthly_gift_not_found', 'No monthly gift of yours by that id.');
  return { ...gift, subscriptionId: gift.d.subscriptionId };
}

/**
 * Ends a monthly gift at Stripe (idempotent), then records it; no further renewals are charged,
 * including one Stripe made in the hour before it charges it (held and voided, end-subscription.ts).
 * Never refused for that: should Stripe be charging it already, the gift ends all the same and the
 * answer and the mail say that this one payment is still taken. The donor gets it in writing,
 * once: the mail is their proof that the charges stop.
 */
export async function cancelMonthlyGift(deps: MonthlyGiftDeps, viewer: Viewer, donationId: string, requestId: string) {
  const gift = await ownMonthlyGift(deps.db, viewer, donationId);
  if (gift.d.subscriptionCanceledAt) return { canceledAt: gift.d.subscriptionCanceledAt.toISOString(), renewalUnderWay: false };
  const { endedBefore: endedAtStripe, renewalUnderWay } = await endAtStripe(deps.stripe, gift.subscriptionId);
  const kind = endMailKind(endedAtStripe, 'monthly_canceled');
  const appeal = kind ? await appealOf(deps.db, gift.d.appealId) : null;
  const mail = kind && appeal && monthlyEndEmail(kind, gift.d, { title: appealTitleIn(appeal, gift.d.locale), url: `${deps.publicUrl}/appeals/${appeal.slug}` }, { renewalUnderWay });
  return deps.db.transaction(async (tx) => {
    if (mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
    const [row] = await tx
      .update(donations)
      .set({ subscriptionCanceledAt: sql`coalesce(${donations.subscriptionCanceledAt}, ${endedAtStripe?.at.toISOString() ?? null}::timestamptz, now())` })
      .where(eq(donations.id, donationId))
      .returning({ canceledAt: donations.subscriptionCanceledAt });
    // A gift ends once. A second click made while the first was under way passed the check above
    // too: its UPDATE waits on this row, and it then finds the first one's entry instead of writing
    // a second. (Stripe's own event, posted first, writes none: the donor's ending is still recorded.)
    await recordAuditOnce(tx, {
      actorUserId: viewer.userId,
      action: 'donation.cancel_monthly',
      organizationId: gift.organizationId,
      subjectType: 'donation',
      subjectId: donationId,
      after: { subscriptionId: gift.subscriptionId },
      requestId,
    });
    return { canceledAt: row!.canceledAt!.toISOString(), renewalUnderWay };
  });
}

