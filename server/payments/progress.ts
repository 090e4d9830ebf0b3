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

interface AppealTotals {
  grossMinor: bigint;
  netMinor: bigint;
  gifts: number;
  donorKeys: string[];
  lastGiftAt: Date | null;
}

/**
 * The appeals' summaries move in the same database transaction as their ledger postings. A batch
 * collects every gift's delta first and then writes each appeal once: a viral appeal's summary row
 * is updated once per batch, not once per gift.
 */
export class ProgressBatch {
  private readonly byAppeal = new Map<string, AppealTotals>();

  add(d: ProgressDelta): void {
    const t = this.byAppeal.get(d.appealId) ?? { grossMinor: 0n, netMinor: 0n, gifts: 0, donorKeys: [], lastGiftAt: null };
    t.grossMinor += d.grossMinor;
    t.netMinor += d.netMinor;
    t.gifts += d.gifts;
    if (d.gifts > 0) {
      t.donorKeys.push(d.donorEmail ? createHash('sha256').update(d.donorEmail.trim().toLowerCase()).digest('hex') : `donation:${d.donationId}`);
      const at = d.at ?? new Date();
      if (!t.lastGiftAt || at > t.lastGiftAt) t.lastGiftAt = at;
    }
    this.byAppeal.set(d.appealId, t);
  }

  async flush(tx: Tx): Promise<void> {
    for (const [appealId, t] of [...this.byAppeal].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const newDonors = t.donorKeys.length
        ? (await tx.insert(appealDonors).values(t.donorKeys.map((donorKey) => ({ appealId, donorKey }))).onConflictDoNothing().returning()).length
        : 0;
      await upsertProgress(tx, appealId, t, newDonors);
      await tx.execute(sql`SELECT pg_notify('appeal_progress', ${appealId})`);
    }
    this.byAppeal.clear();
  }
}

async function upsertProgress(tx: Tx, appealId: string, t: AppealTotals, newDonors: number): Promise<void> {
  await tx
    .insert(appealProgress)
    .values({ appealId, raisedGrossMinor: t.grossMinor, raisedNetMinor: t.netMinor, giftCount: t.gifts, donorCount: newDonors, lastGiftAt: t.lastGiftAt })
    .onConflictDoUpdate({
      target: appealProgress.appealId,
      set: {
        raisedGrossMinor: sql`${appealProgress.raisedGrossMinor} + ${t.grossMinor}`,
        raisedNetMinor: sql`${appealProgress.raisedNetMinor} + ${t.netMinor}`,
        giftCount: sql`${appealProgress.giftCount} + ${t.gifts}`,
        donorCount: sql`${appealProgress.donorCount} + ${newDonors}`,
        lastGiftAt: t.lastGiftAt ? sql`greatest(${appealProgress.lastGiftAt}, ${t.lastGiftAt.toISOString()}::timestamptz)` : sql`${appealProgress.lastGiftAt}`,
        updatedAt: sql`now()`,
      },
    });
}
