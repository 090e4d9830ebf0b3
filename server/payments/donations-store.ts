import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { appeals, donations, type Donation } from '../../db/schema/index';
import { formatAmount } from '../ledger/money';

const isDonationId = (id: string | null | undefined): id is string => !!id && /^[0-9a-f-]{36}$/.test(id);

export async function donationById(db: DbOrTx, id: string | null | undefined): Promise<Donation | undefined> {
  if (!isDonationId(id)) return undefined;
  const [row] = await db.select().from(donations).where(eq(donations.id, id));
  return row;
}

/** Many donations in one query, by id; ids that are not ours (or not ids at all) are simply absent. */
export async function donationsByIds(db: DbOrTx, ids: (string | null | undefined)[]): Promise<Map<string, Donation>> {
  const wanted = [...new Set(ids.filter(isDonationId))];
  if (wanted.length === 0) return new Map();
  const rows = await db.select().from(donations).where(inIdList(donations.id, wanted));
  return new Map(rows.map((d) => [d.id, d]));
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

/** The fields of a donation its receipt needs. */
export type ReceiptDonation = Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'chargeId' | 'invoiceId'>;

/**
 * The receipt of a gift, for the outbox (written in the same transaction as the gift: never lost,
 * never twice, by its dedupe key); null when the donor left no address.
 */
export function receiptEmail(donation: ReceiptDonation, amountMinor: bigint, currency: string, appealTitle: string, paidAt: Date) {
  if (!donation.donorEmail) return null;
  const amount = formatAmount(amountMinor, currency, donation.locale);
  const name = donation.donorName ? ` ${donation.donorName}` : '';
  return {
    dedupeKey: `receipt:${donation.id}:${donation.chargeId ?? donation.invoiceId ?? ''}`,
    toAddress: donation.donorEmail,
    kind: 'receipt',
    subject: `Thank you for your gift of ${amount}`,
    textBody:
      `Dear${name},\n\nthank you for giving ${amount} to "${appealTitle}".\n\n` +
      `Gift reference: ${donation.id}\nDate: ${paidAt.toISOString().slice(0, 10)}\n\nIn solidarity.\n`,
  };
}

/**
 * The donor's word that a delayed payment (SEPA, ACH) failed: days after checkout they would
 * otherwise believe they gave. Null when the donor left no address.
 */
export function giftFailedEmail(donation: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'amountMinor' | 'coverFeesMinor' | 'currency'>, appealTitle: string) {
  if (!donation.donorEmail) return null;
  const amount = formatAmount(donation.amountMinor + donation.coverFeesMinor, donation.currency, donation.locale);
  const name = donation.donorName ? ` ${donation.donorName}` : '';
  return {
    dedupeKey: `gift_failed:${donation.id}`,
    toAddress: donation.donorEmail,
    kind: 'gift_failed',
    subject: `Your gift of ${amount} could not be completed`,
    textBody:
      `Dear${name},\n\nyour bank refused the payment of your gift of ${amount} to "${appealTitle}", so nothing was taken.\n` +
      `If you still wish to give, please start a new gift on the appeal's page.\n\nGift reference: ${donation.id}\n\nIn solidarity.\n`,
  };
}

/**
 * A refunded gift's status, from the row as it stands when the statement runs (locked at commit):
 * refunded in full, in part, or not at all.
 */
export const refundedStatusOfRow = sql`CASE WHEN ${donations.refundedMinor} >= ${donations.amountMinor} + ${donations.coverFeesMinor} THEN 'refunded'::donation_status
  WHEN ${donations.refundedMinor} > 0 THEN 'partially_refunded'::donation_status ELSE 'succeeded'::donation_status END`;

export const addRefunded = (amountMinor: bigint) => sql`${donations.refundedMinor} + ${amountMinor}`;
