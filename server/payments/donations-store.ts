import { eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client';
import { appeals, donations, outboxEmails, type Donation } from '../../db/schema/index';
import { formatAmount } from '../ledger/money';

export async function donationById(db: DbOrTx, id: string | null | undefined): Promise<Donation | undefined> {
  if (!id || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const [row] = await db.select().from(donations).where(eq(donations.id, id));
  return row;
}

export async function donationByCharge(db: DbOrTx, chargeId: string | null): Promise<Donation | undefined> {
  if (!chargeId) return undefined;
  const [row] = await db.select().from(donations).where(eq(donations.chargeId, chargeId));
  return row;
}

export async function appealOf(db: DbOrTx, appealId: string) {
  const [row] = await db.select().from(appeals).where(eq(appeals.id, appealId));
  if (!row) throw new Error(`appeal ${appealId} vanished`);
  return row;
}

/** The receipt goes through the outbox in the same transaction as the gift: never lost, never twice. */
export async function queueReceipt(tx: Tx, donation: Donation, amountMinor: bigint, currency: string, appealTitle: string): Promise<void> {
  if (!donation.donorEmail) return;
  const amount = formatAmount(amountMinor, currency, donation.locale);
  const name = donation.donorName ? ` ${donation.donorName}` : '';
  await tx
    .insert(outboxEmails)
    .values({
      dedupeKey: `receipt:${donation.id}:${donation.chargeId ?? donation.invoiceId ?? ''}`,
      toAddress: donation.donorEmail,
      kind: 'receipt',
      subject: `Thank you for your gift of ${amount}`,
      textBody:
        `Dear${name},\n\nthank you for giving ${amount} to "${appealTitle}".\n\n` +
        `Gift reference: ${donation.id}\nDate: ${new Date().toISOString().slice(0, 10)}\n\nIn solidarity.\n`,
    })
    .onConflictDoNothing();
}

export function refundedStatus(d: Donation, refundedMinor: bigint): Donation['status'] {
  return refundedMinor >= d.amountMinor + d.coverFeesMinor ? 'refunded' : refundedMinor > 0n ? 'partially_refunded' : 'succeeded';
}

export const addRefunded = (amountMinor: bigint) => sql`${donations.refundedMinor} + ${amountMinor}`;
