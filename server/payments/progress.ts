import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { appealDonors, appealProgress } from '../../db/schema/index';

export interface ProgressDelta {
  appealId: string;
  grossMinor: bigint;
  netMinor: bigint;
  gifts: number;
  donorEmail?: string | null;
  donationId?: string;
  at?: Date;
}

/** The appeal's summary moves in the same database transaction as its ledger posting. */
export async function applyProgress(tx: Tx, d: ProgressDelta): Promise<void> {
  let newDonor = 0;
  if (d.gifts > 0) {
    const donorKey = d.donorEmail
      ? createHash('sha256').update(d.donorEmail.trim().toLowerCase()).digest('hex')
      : `donation:${d.donationId}`;
    const inserted = await tx.insert(appealDonors).values({ appealId: d.appealId, donorKey }).onConflictDoNothing().returning();
    newDonor = inserted.length;
  }
  await tx
    .insert(appealProgress)
    .values({
      appealId: d.appealId,
      raisedGrossMinor: d.grossMinor,
      raisedNetMinor: d.netMinor,
      giftCount: d.gifts,
      donorCount: newDonor,
      lastGiftAt: d.gifts > 0 ? (d.at ?? new Date()) : null,
    })
    .onConflictDoUpdate({
      target: appealProgress.appealId,
      set: {
        raisedGrossMinor: sql`${appealProgress.raisedGrossMinor} + ${d.grossMinor}`,
        raisedNetMinor: sql`${appealProgress.raisedNetMinor} + ${d.netMinor}`,
        giftCount: sql`${appealProgress.giftCount} + ${d.gifts}`,
        donorCount: sql`${appealProgress.donorCount} + ${newDonor}`,
        lastGiftAt: d.gifts > 0 ? sql`greatest(${appealProgress.lastGiftAt}, ${(d.at ?? new Date()).toISOString()}::timestamptz)` : sql`${appealProgress.lastGiftAt}`,
        updatedAt: sql`now()`,
      },
    });
  await tx.execute(sql`SELECT pg_notify('appeal_progress', ${d.appealId})`);
}
