import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../db/client';
import { appealProgress } from '../../db/schema/index';

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
      const newDonors = t.donorKeys.length ? await insertDonors(tx, appealId, t.donorKeys) : 0;
      await upsertProgress(tx, appealId, t, newDonors);
      await tx.execute(sql`SELECT pg_notify('appeal_progress', ${appealId})`);
    }
    this.byAppeal.clear();
  }
}

/**
 * Adds the batch's donors of one appeal in one statement; answers how many were new to it. Keys go
 * in sorted, so two posters adding the same donors take their index locks in the same order.
 */
async function insertDonors(tx: Tx, appealId: string, donorKeys: string[]): Promise<number> {
  const keys = [...new Set(donorKeys)].sort();
  const [row] = await queryRows<{ n: number }>(
    tx,
    sql`WITH added AS (
          INSERT INTO appeal_donors (appeal_id, donor_key)
          SELECT ${appealId}::uuid, k FROM json_array_elements_text(${JSON.stringify(keys)}::text::json) AS k
          ON CONFLICT DO NOTHING RETURNING 1)
        SELECT count(*)::int AS n FROM added`,
  );
  return row!.n;
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
