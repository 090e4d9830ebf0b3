import { and, desc, eq, notInArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { donations } from '../../db/schema/index';
import { messageLanguageOf } from '../payments/donations-store';

export async function donorsOf(db: DbOrTx, appealId: string, limit: number) {
  const rows = await db
    .select()
    .from(donations)
    .where(and(eq(donations.appealId, appealId), notInArray(donations.status, ['pending', 'canceled'])))
    .orderBy(desc(donations.createdAt))
    .limit(limit);
  return rows.map((d) => ({
    donationId: d.id,
    name: d.donorName,
    email: d.donorEmail,
    anonymous: d.anonymous,
    amountMinor: d.amountMinor.toString(),
    refundedMinor: d.refundedMinor.toString(),
    currency: d.currency,
    frequency: d.frequency,
    status: d.status,
    message: d.message,
    messageLanguage: messageLanguageOf(d),
    messageStatus: d.messageStatus,
    updatesOptIn: d.updatesOptIn,
    at: (d.succeededAt ?? d.createdAt).toISOString(),
  }));
}
