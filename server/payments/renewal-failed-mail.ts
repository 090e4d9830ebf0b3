import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailFormatOf, mailText } from '../mail/catalog';

export interface RenewalFailure {
  invoiceId: string;
  amountMinor: bigint;
  currency: string;
  appealTitle: string;
  /** When Stripe tries again; null when that was its last try (the gift has then ended). */
  nextAttemptAt: Date | null;
  /** The donor's page, where they update their card. */
  accountUrl: string;
}

/**
 * The donor's word that a monthly gift's renewal did not go through: otherwise Stripe retries
 * silently and, after its last try, ends the gift without the donor ever knowing. One per failed
 * invoice (its dedupe key), whichever attempt is posted first; in the language they gave in; null
 * when the donor left no address. No card details: the donor knows their card, the mail may leak.
 */
export function renewalFailedEmail(gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'timeZone'>, failure: RenewalFailure) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  const format = mailFormatOf(gift);
  const amount = mailAmount(format, failure.amountMinor, failure.currency);
  // While Stripe still tries, the donor also learns what is at stake: after its last try the gift
  // ends, and a donor told only "we will try again" hears of that when it is too late to act.
  const next = failure.nextAttemptAt
    ? [mailText(locale, 'renewal_failed_warning'), mailText(locale, 'renewal_failed_retry', { date: mailDate(format, failure.nextAttemptAt, gift.timeZone), url: failure.accountUrl })]
    : [mailText(locale, 'renewal_failed_last', { url: failure.accountUrl })];
  return {
    dedupeKey: `renewal_failed:${gift.id}:${failure.invoiceId}`,
    toAddress: gift.donorEmail,
    kind: 'renewal_failed',
    subject: mailText(locale, 'renewal_failed_subject', { amount }),
    textBody: giftMailBody(locale, gift, mailText(locale, 'renewal_failed_body', { amount, appeal: isolated(locale, failure.appealTitle) }), ...next),
  };
}
