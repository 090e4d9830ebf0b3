import { and, eq, getTableColumns, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { appealTranslations, appeals, donations, type Appeal, type Donation } from '../../db/schema/index';
import { giftMailBody, greeting, isolated, mailAmount, mailDate, mailFormatOf, mailText, paragraphs } from '../mail/catalog';
import { isUuidText } from '../uuid-text';

/**
 * The language a donor's message is likely in: the one they gave in (we do not guess from the
 * text), for a page to mark it so a screen reader reads it right; null without a message.
 */
export const messageLanguageOf = (d: { message: string | null; locale: string }): string | null => (d.message ? d.locale : null);

// Ids come from Stripe's metadata, which can be edited in its Dashboard: text that is no uuid
// would fail the query it reaches, and with it every event of the batch (isUuidText).

export async function donationById(db: DbOrTx, id: string | null | undefined): Promise<Donation | undefined> {
  if (!isUuidText(id)) return undefined;
  const [row] = await db.select().from(donations).where(eq(donations.id, id));
  return row;
}

/** Many donations in one query, by id; ids that are not ours (or not ids at all) are simply absent. */
export async function donationsByIds(db: DbOrTx, ids: (string | null | undefined)[]): Promise<Map<string, Donation>> {
  const wanted = [...new Set(ids.filter(isUuidText))];
  if (wanted.length === 0) return new Map();
  const rows = await db.select().from(donations).where(inIdList(donations.id, wanted));
  return new Map(rows.map((d) => [d.id, d]));
}

export async function donationByCharge(db: DbOrTx, chargeId: string | null): Promise<Donation | undefined> {
  if (!chargeId) return undefined;
  const [row] = await db.select().from(donations).where(eq(donations.chargeId, chargeId));
  return row;
}

/** An appeal and its title in each language it is translated into. */
export type AppealWithTitles = Appeal & { titles: Partial<Record<string, string>> };

/** A column for a query on appeals: the appeal's title by language, from its translations. */
export const appealTitlesColumn = sql<Partial<Record<string, string>>>`(SELECT coalesce(jsonb_object_agg(t.language, t.title), '{}'::jsonb) FROM ${appealTranslations} t WHERE t.appeal_id = ${appeals.id})`;

export async function appealOf(db: DbOrTx, appealId: string): Promise<AppealWithTitles> {
  // One round trip: the poster asks this for every appeal of a batch, before any of its work.
  const [row] = await db
    .select({ ...getTableColumns(appeals), titles: appealTitlesColumn })
    .from(appeals)
    .where(eq(appeals.id, appealId));
  if (!row) throw new Error(`appeal ${appealId} vanished`);
  return row;
}

/** The appeal's title in each language the organizer translated it into. */
export async function appealTitles(db: DbOrTx, appealId: string): Promise<Partial<Record<string, string>>> {
  const [row] = await db.select({ titles: appealTitlesColumn }).from(appeals).where(eq(appeals.id, appealId));
  return row?.titles ?? {};
}

/**
 * The appeal as a donor who reads `locale` saw it on its page: translated if it is, else as
 * written. In its own language the page shows the original, whatever translation is stored.
 */
export function appealTitleIn(appeal: { title: string; language: string; titles: Partial<Record<string, string>> }, locale: string): string {
  // Own keys only: the map is parsed JSON, and a locale such as "toString" must not reach its prototype.
  return locale !== appeal.language && Object.hasOwn(appeal.titles, locale) ? appeal.titles[locale]! : appeal.title;
}

/**
 * appealTitleIn as SQL, for lists of many appeals read in one query: join `join` to a query on
 * appeals (one row at most: a language has one translation) and select `title`, and `language`
 * (the language that title is written in, for a page to mark it). No locale, or the appeal's own,
 * names it as written.
 */
export function appealTitleInSql(locale: string | undefined) {
  return {
    join: locale ? and(eq(appealTranslations.appealId, appeals.id), eq(appealTranslations.language, locale), ne(appeals.language, locale))! : sql`false`,
    title: sql<string>`coalesce(${appealTranslations.title}, ${appeals.title})`,
    language: sql<string>`coalesce(${appealTranslations.language}, ${appeals.language})`,
  };
}

/** The fields of a donation its receipt needs. */
export type ReceiptDonation = Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'timeZone' | 'chargeId' | 'invoiceId'>;

/** A donor's giving page, where a monthly gift ends and its card is changed: named in their mails. */
export const accountPageUrl = (publicUrl: string | undefined) => `${publicUrl ?? ''}/account`;

/** A monthly gift's receipt says so, where the donor ends it (their giving page), and when it is charged next. */
export interface ReceiptMonthly {
  accountUrl: string;
  /** The gift's next charge as it stands once this payment is recorded (upcomingCharge); null when not known. */
  nextChargeAt: Date | null;
  /**
   * The appeal's deadline, while it is ahead: the gift ends then (appealClosesAt); and whether that
   * comes before the next charge would (endsWithAppealFirst), so that no further charge comes.
   */
  appealCloses: { at: Date; beforeNextCharge: boolean } | null;
  /** The gift's first payment (the donation itself), not a renewal's (a donation with a parent). */
  firstPayment: boolean;
}

/**
 * The receipt of a gift, for the outbox (written in the same transaction as the gift: never lost,
 * never twice, by its dedupe key), in the language the donor gave in; null when the donor left no
 * address. The date is the day the donor paid, on their calendar (mailDate). A monthly gift's
 * receipts (the first payment and each renewal) say it is monthly from the subject on, and which
 * payment it is from the first line on, and tell the donor how to end it: otherwise a donor who
 * forgot finds out from their bank statement. They also name the day of the next charge, on the
 * same calendar, when it is known: left out rather than guessed.
 */
export function receiptEmail(donation: ReceiptDonation, amountMinor: bigint, currency: string, appealTitle: string, paidAt: Date, monthly: ReceiptMonthly | null = null) {
  if (!donation.donorEmail) return null;
  const { locale } = donation;
  const format = mailFormatOf(donation);
  const amount = mailAmount(format, amountMinor, currency);
  return {
    dedupeKey: `receipt:${donation.id}:${donation.chargeId ?? donation.invoiceId ?? ''}`,
    toAddress: donation.donorEmail,
    kind: 'receipt',
    subject: mailText(locale, monthly ? 'receipt_subject_monthly' : 'receipt_subject', { amount }),
    textBody: paragraphs(
      greeting(locale, donation.donorName),
      mailText(locale, receiptThanksKey(monthly), { amount, appeal: isolated(locale, appealTitle) }),
      ...(monthly ? [receiptMonthlyText(locale, format, monthly, donation.timeZone)] : []),
      [
        mailText(locale, 'gift_reference', { reference: donation.id }),
        mailText(locale, 'receipt_date', { date: mailDate(format, paidAt, donation.timeZone) }),
        ...(monthly?.nextChargeAt ? [mailText(locale, 'receipt_next_charge', { date: mailDate(format, monthly.nextChargeAt, donation.timeZone) })] : []),
      ].join('\n'),
      mailText(locale, 'closing'),
    ),
  };
}

/** A monthly gift's receipt thanks for the first payment of a monthly gift, or a later one; a one-off's for the gift. */
function receiptThanksKey(monthly: ReceiptMonthly | null) {
  if (!monthly) return 'receipt_thanks';
  return monthly.firstPayment ? 'receipt_thanks_monthly_first' : 'receipt_thanks_monthly_next';
}

/**
 * How a monthly gift goes on: every month until she ends it; or, for an appeal with a deadline,
 * until the appeal closes (the closed appeal's job ends the gift then); or, when the appeal closes
 * before the next charge would come, that none comes.
 */
function receiptMonthlyText(locale: string, format: string, monthly: ReceiptMonthly, timeZone: string | null): string {
  if (!monthly.appealCloses) return mailText(locale, 'receipt_monthly', { url: monthly.accountUrl });
  const date = mailDate(format, monthly.appealCloses.at, timeZone);
  const key = monthly.appealCloses.beforeNextCharge ? 'receipt_monthly_ends_with_appeal' : 'receipt_monthly_until_appeal_closes';
  return mailText(locale, key, { date, url: monthly.accountUrl });
}

/**
 * The donor's word that a delayed payment (SEPA, ACH) failed: days after checkout they would
 * otherwise believe they gave. In the language they gave in; null when the donor left no address.
 */
export function giftFailedEmail(donation: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'amountMinor' | 'coverFeesMinor' | 'currency'>, appealTitle: string) {
  if (!donation.donorEmail) return null;
  const { locale } = donation;
  const amount = mailAmount(mailFormatOf(donation), donation.amountMinor + donation.coverFeesMinor, donation.currency);
  return {
    dedupeKey: `gift_failed:${donation.id}`,
    toAddress: donation.donorEmail,
    kind: 'gift_failed',
    subject: mailText(locale, 'gift_failed_subject', { amount }),
    textBody: giftMailBody(locale, donation, `${mailText(locale, 'gift_failed_body', { amount, appeal: isolated(locale, appealTitle) })}\n${mailText(locale, 'gift_failed_again')}`),
  };
}

/**
 * A refunded gift's status, from the row as it stands when the statement runs (locked at commit):
 * refunded in full, in part, or not at all.
 */
export const refundedStatusOfRow = sql`CASE WHEN ${donations.refundedMinor} >= ${donations.amountMinor} + ${donations.coverFeesMinor} THEN 'refunded'::donation_status
  WHEN ${donations.refundedMinor} > 0 THEN 'partially_refunded'::donation_status ELSE 'succeeded'::donation_status END`;

export const addRefunded = (amountMinor: bigint) => sql`${donations.refundedMinor} + ${amountMinor}`;
