import { eq, sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { appeals, donations } from '../../db/schema/index';
import { receiptEmail } from './donations-store';
import { appealClosesAt, endsWithAppealFirst, upcomingCharge } from './upcoming-charge';
import type { ReceiptMonthly } from './donations-store';

/** A gift whose posting was new in this batch: its donation succeeds and its donor gets a receipt. */
export interface SucceededGift {
  donationId: string;
  chargeId: string;
  paymentIntentId: string;
  feeMinor: bigint;
  /** The invoice a monthly gift's charge belongs to; null keeps the donation's own. */
  invoiceId: string | null;
  /** When Stripe charges that monthly gift next (the end of the period this invoice paid for). */
  nextChargeAt: Date | null;
  grossMinor: bigint;
  currency: string;
  appealTitle: string;
  paidAt: Date;
  /** Its balance transaction, pending at Stripe until `availableOn` (the funds job moves it then). */
  balanceTransactionId: string;
  availableOn: Date;
}

interface UpdatedDonation extends Record<string, unknown> {
  id: string;
  donor_email: string | null;
  donor_name: string | null;
  locale: string;
  time_zone: string | null;
  format_locale: string | null;
  charge_id: string | null;
  invoice_id: string | null;
  /** The monthly gift this payment belongs to (its first donation), when it is one. */
  monthly_id: string | null;
}

/**
 * A monthly gift whose failed renewal is paid (a retry, a new card) is healthy again. Only that
 * invoice clears it: paying an older one, or the next month's while this one stays unpaid, does
 * not. One statement for the batch, only when it has monthly payments.
 */
async function clearRenewalFailures(tx: Tx, updated: UpdatedDonation[]): Promise<void> {
  const paid = updated.flatMap((d) => (d.monthly_id && d.invoice_id ? [{ id: d.monthly_id, inv: d.invoice_id }] : []));
  if (paid.length === 0) return;
  await tx.execute(
    sql`UPDATE donations AS g SET renewal_failed_at = NULL, renewal_failed_invoice_id = NULL, renewal_next_attempt_at = NULL
          FROM json_to_recordset(${JSON.stringify(paid)}::text::json) AS x(id uuid, inv text)
         WHERE g.id = x.id AND g.renewal_failed_invoice_id = x.inv`,
  );
}

/**
 * A monthly gift's next charge, moved to the end of the period its newest payment paid for. Only
 * ever forward: Stripe delivers in any order, and a month's payment posted after the next month's
 * must not bring back a day already past. A batch may hold several months of one gift (a backlog):
 * the latest counts, as UPDATE … FROM would take any one of them. One statement for the batch.
 */
async function moveNextCharges(tx: Tx, updated: UpdatedDonation[], byId: Map<string, SucceededGift>): Promise<void> {
  const next = updated.flatMap((d) => {
    const at = byId.get(d.id)?.nextChargeAt;
    return d.monthly_id && at ? [{ id: d.monthly_id, at: at.toISOString() }] : [];
  });
  if (next.length === 0) return;
  await tx.execute(
    sql`UPDATE donations AS g SET next_charge_at = x.at
          FROM (SELECT id, max(at) AS at FROM json_to_recordset(${JSON.stringify(next)}::text::json) AS r(id uuid, at timestamptz) GROUP BY id) AS x
         WHERE g.id = x.id AND (g.next_charge_at IS NULL OR g.next_charge_at < x.at)`,
  );
}

/**
 * When each monthly gift of the batch is charged next, read once its payments moved it (and cleared
 * a failure they paid): a receipt names the day as the donor's page does, and no day at all for a
 * gift that has ended, is set to end or has a later renewal unpaid, or whose day is already past.
 * One query for the batch, only when it has monthly payments.
 */
async function upcomingChargesOf(tx: Tx, updated: UpdatedDonation[]): Promise<Map<string, Omit<ReceiptMonthly, 'accountUrl' | 'firstPayment'>>> {
  const ids = [...new Set(updated.flatMap((d) => (d.monthly_id ? [d.monthly_id] : [])))];
  if (ids.length === 0) return new Map();
  const gifts = await tx
    .select({
      id: donations.id,
      subscriptionCanceledAt: donations.subscriptionCanceledAt,
      subscriptionEndsAt: donations.subscriptionEndsAt,
      renewalFailedAt: donations.renewalFailedAt,
      nextChargeAt: donations.nextChargeAt,
      collectionPaused: donations.collectionPaused,
      pausedUntil: donations.pausedUntil,
      pausedNextChargeAt: donations.pausedNextChargeAt,
      appeal: { status: appeals.status, deadlineAt: appeals.deadlineAt },
    })
    .from(donations)
    .innerJoin(appeals, eq(appeals.id, donations.appealId))
    .where(inIdList(donations.id, ids));
  const now = new Date();
  const upcoming = new Map<string, Omit<ReceiptMonthly, 'accountUrl' | 'firstPayment'>>();
  for (const g of gifts) {
    const closesAt = appealClosesAt(g.appeal, now);
    upcoming.set(g.id, { nextChargeAt: upcomingCharge(g, g.appeal, now), appealCloses: closesAt && { at: closesAt, beforeNextCharge: endsWithAppealFirst(g, g.appeal, now) } });
  }
  return upcoming;
}

/**
 * The donations and receipts of a batch's gifts, written with one UPDATE and one INSERT for the
 * whole batch instead of two statements per gift. In the same database transaction as the
 * postings, so a receipt is never lost and never sent twice (its dedupe key).
 */
export class GiftBatch {
  private gifts: SucceededGift[] = [];

  /** `accountUrl`: the donors' giving page, named in a monthly gift's receipt as where it ends. */
  constructor(private readonly accountUrl: string) {}

  add(gift: SucceededGift): void {
    this.gifts.push(gift);
  }

  async flush(tx: Tx): Promise<void> {
    if (this.gifts.length === 0) return;
    const gifts = this.gifts;
    this.gifts = [];
    const rows = gifts.map((g) => ({ id: g.donationId, ch: g.chargeId, pi: g.paymentIntentId, fee: g.feeMinor.toString(), inv: g.invoiceId, at: g.paidAt.toISOString(), bt: g.balanceTransactionId, av: g.availableOn.toISOString() }));
    const updated = await queryRows<UpdatedDonation>(
      tx,
      sql`UPDATE donations AS d
             SET status = 'succeeded', charge_id = x.ch, payment_intent_id = x.pi, fee_minor = x.fee,
                 succeeded_at = x.at, invoice_id = coalesce(x.inv, d.invoice_id),
                 pending_balance_transaction_id = x.bt, funds_available_on = x.av
            FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS x(id uuid, ch text, pi text, fee bigint, inv text, at timestamptz, bt text, av timestamptz)
           WHERE d.id = x.id
       RETURNING d.id::text AS id, d.donor_email, d.donor_name, d.locale, d.format_locale, d.time_zone, d.charge_id, d.invoice_id,
                 CASE WHEN d.frequency = 'monthly' THEN coalesce(d.parent_donation_id, d.id)::text END AS monthly_id`,
    );
    await clearRenewalFailures(tx, updated);
    const byId = new Map(gifts.map((g) => [g.donationId, g]));
    await moveNextCharges(tx, updated, byId);
    const nextCharges = await upcomingChargesOf(tx, updated);
    const receipts = updated.flatMap((d) => {
      const g = byId.get(d.id)!;
      const monthly = d.monthly_id ? { accountUrl: this.accountUrl, nextChargeAt: null, appealCloses: null, ...nextCharges.get(d.monthly_id), firstPayment: d.monthly_id === d.id } : null;
      const mail = receiptEmail({ id: d.id, donorEmail: d.donor_email, donorName: d.donor_name, locale: d.locale, formatLocale: d.format_locale, timeZone: d.time_zone, chargeId: d.charge_id, invoiceId: d.invoice_id }, g.grossMinor, g.currency, g.appealTitle, g.paidAt, monthly);
      return mail ? [{ k: mail.dedupeKey, a: mail.toAddress, s: mail.subject, b: mail.textBody }] : [];
    });
    if (receipts.length === 0) return;
    await tx.execute(
      sql`INSERT INTO outbox_emails (dedupe_key, to_address, kind, subject, text_body)
          SELECT x.k, x.a, 'receipt', x.s, x.b FROM json_to_recordset(${JSON.stringify(receipts)}::text::json) AS x(k text, a text, s text, b text)
          ON CONFLICT DO NOTHING`,
    );
  }
}
