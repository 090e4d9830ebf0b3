import type { DbOrTx } from '../../db/client';
import { outboxEmails, type Appeal } from '../../db/schema/index';
import { greeting, isolated, mailAmount, mailDate, mailText } from '../mail/catalog';
import { isLocale } from '../../web/src/lib/locale';
import type { Platform } from '../auth/permissions';
import { treasurersOfGift } from './gift-treasurers';

export interface FailedRefund {
  id: string;
  donationId: string;
  currency: string;
  amountMinor: bigint;
  /** When the refund was made (Stripe's `created`). */
  madeAt: Date;
  /** Stripe's `failure_reason`, or `canceled` for a refund Stripe canceled. */
  reason: string | null;
}

/**
 * Stripe's documented `failure_reason`s, each said in plain words; any other (a new one, none) is
 * said as not known. The page says them too (web/src/lib/labels.ts refundSentBackReason).
 */
export const refundFailureReasons = ['expired_or_canceled_card', 'lost_or_stolen_card', 'declined', 'insufficient_funds', 'merchant_request', 'charge_for_pending_refund_disputed', 'canceled'] as const;
export type RefundFailureReason = (typeof refundFailureReasons)[number] | 'unknown';
export const refundFailureReason = (reason: string | null | undefined): RefundFailureReason =>
  (refundFailureReasons as readonly string[]).includes(reason ?? '') ? (reason as RefundFailureReason) : 'unknown';

/**
 * Tells the treasurers of the gift's organization that a refund Stripe first said it made did
 * not reach the donor (the card's bank sent it back): the money is in the appeal again, and
 * Stripe leaves it to us to return it another way. Nobody else would know: the gift just looks
 * not refunded again. Once per refund and treasurer (the dedupe key), with the reversal's writes.
 * In each treasurer's language, else the appeal's; the date in UTC, which it says (users have no
 * time zone of their own).
 */
export async function mailTreasurersOfFailedRefund(tx: DbOrTx, platform: Platform, refund: FailedRefund, appeal: Appeal, publicUrl: string | undefined): Promise<void> {
  const treasurers = await treasurersOfGift(tx, platform, appeal.organizationId);
  if (treasurers.length === 0) return;
  const mailIn = (locale: string, name: string) => {
    const values = {
      amount: mailAmount(locale, refund.amountMinor, refund.currency),
      appeal: isolated(locale, appeal.title),
      date: mailDate(locale, refund.madeAt),
    };
    const why = mailText(locale, `refund_failed_reason_${refundFailureReason(refund.reason)}`);
    const link = publicUrl ? `\n\n${mailText(locale, 'refund_failed_see', { url: `${publicUrl}/treasury/donations/${refund.donationId}` })}` : '';
    return {
      subject: mailText(locale, 'refund_failed_subject', values),
      textBody: `${greeting(locale, name || null)}\n\n${mailText(locale, 'refund_failed_body', values)}\n\n${why}\n\n${mailText(locale, 'refund_failed_todo')}${link}\n\n${mailText(locale, 'closing')}\n`,
    };
  };
  await tx
    .insert(outboxEmails)
    .values(
      treasurers.map((t) => ({
        dedupeKey: `refund_failed:${refund.id}:${t.userId}`,
        toAddress: t.email,
        kind: 'refund_failed',
        ...mailIn(isLocale(t.locale) ? t.locale : appeal.language, t.name),
      })),
    )
    .onConflictDoNothing();
}
