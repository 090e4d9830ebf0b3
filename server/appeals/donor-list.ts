import { and, desc, eq, notInArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { donations } from '../../db/schema/index';
import { messageLanguageOf } from '../payments/donations-store';
import { checkAppealCursor } from './list-cursor';
import { isOnTheWall } from './wall';

// A checkout still open, or left, is no gift: organizers see every gift that reached an outcome.
const listed = (appealId: string) => and(eq(donations.appealId, appealId), notInArray(donations.status, ['pending', 'canceled']));

/**
 * The gift's chargeback as Stripe last said it (needs_response, under_review, won, lost, or an
 * inquiry's warning_…), the newest if there were several: a gift stays 'disputed' once the
 * chargeback is lost, and its organizers and their spreadsheet must tell that from one still open.
 */
const latestDispute = sql<string | null>`(SELECT d.status FROM disputes d WHERE d.donation_id = "donations"."id" ORDER BY d.opened_at DESC, d.id DESC LIMIT 1)`;

/**
 * One page of an appeal's gifts, newest first. Keyset paging over (created_at desc, id desc) with
 * the last gift's id as the cursor, as listUpdates pages updates: the database compares its own
 * microsecond timestamps (the id breaks ties), so a gift arriving meanwhile goes on top and does
 * not shift the older pages, and no gift is skipped or shown twice between pages.
 */
export async function donorsOf(db: DbOrTx, p: { appealId: string; limit: number; cursor?: string }) {
  const where = [listed(p.appealId)];
  if (p.cursor !== undefined) {
    await checkAppealCursor(db, donations, { appealId: p.appealId, cursor: p.cursor });
    where.push(sql`(${donations.createdAt}, ${donations.id}) < (SELECT d.created_at, d.id FROM donations d WHERE d.id = ${p.cursor})`);
  }
  const rows = await db
    .select({ donation: donations, dispute: latestDispute })
    .from(donations)
    .where(and(...where))
    .orderBy(desc(donations.createdAt), desc(donations.id))
    .limit(p.limit + 1);
  const page = rows.slice(0, p.limit);
  return { donors: page.map((r) => donorRow(r.donation, r.dispute)), nextCursor: rows.length > p.limit ? (page.at(-1)?.donation.id ?? null) : null };
}

/** How many gifts the list holds on all its pages, so a page can say it shows only some. */
export async function countDonors(db: DbOrTx, appealId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(donations).where(listed(appealId));
  return row?.n ?? 0;
}

function donorRow(d: typeof donations.$inferSelect, dispute: string | null) {
  return {
    donationId: d.id,
    name: d.donorName,
    email: d.donorEmail,
    anonymous: d.anonymous,
    amountMinor: d.amountMinor.toString(),
    coverFeesMinor: d.coverFeesMinor.toString(),
    refundedMinor: d.refundedMinor.toString(),
    currency: d.currency,
    frequency: d.frequency,
    status: d.status,
    dispute,
    message: d.message,
    messageLanguage: messageLanguageOf(d),
    messageStatus: d.messageStatus,
    nameHidden: d.nameHidden,
    onWall: isOnTheWall(d.status) && d.parentDonationId === null,
    updatesOptIn: d.updatesOptIn,
    at: (d.succeededAt ?? d.createdAt).toISOString(),
  };
}

export type DonorRow = ReturnType<typeof donorRow>;
