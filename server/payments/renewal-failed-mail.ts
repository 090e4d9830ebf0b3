import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailFormatOf, mailText } from '../mail/catalog';

export type AfterLastTry = 'ended' | 'on_hold' | 'goes_on';

const lastTryText = { ended: 'renewal_failed_last', on_hold: 'renewal_failed_last_on_hold', goes_on: 'renewal_failed_last_goes_on' } as const;

/**
 * What a subscription's status, read after Stripe's last try of an invoice, means for the gift; null
 * when it is active again. The status is read when the event is posted, not when it was sent: a
 * donor who paid with a new card in between must not be told that payment will not be taken.
 */
export function afterLastTryOf(status: string): AfterLastTry | null {
  if (status === 'canceled' || status === 'incomplete_expired') return 'ended';
  if (status === 'unpaid') return 'on_hold';
  if (status === 'past_due') return 'goes_on';
  return null;
}

export interface RenewalFailure {
  invoiceId: string;
  amountMinor: bigint;
  currency: string;
  appealTitle: string;
  /** When Stripe tries again; null when that was its last try. */
  nextAttemptAt: Date | null;
  /**
   * After Stripe's last try, what became of the subscription, as the account's "Manage failed
   * payments" setting chose: ended (canceled), on hold (`unpaid`: nothing more is charged until
   * this payment is made) or going on (left `past_due`: next month is charged as usual).
   */
  afterLastTry?: AfterLastTry;
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
  // may end (the account's Stripe setting decides), and a donor told only "we will try again"
  // hears of that when it is too late to act.
  const goesOnAfterLastTry = !failure.nextAttemptAt && failure.afterLastTry !== undefined && failure.afterLastTry !== 'ended';
  const next = failure.nextAttemptAt
    ? [mailText(locale, 'renewal_failed_warning'), mailText(locale, 'renewal_failed_retry', { date: mailDate(format, failure.nextAttemptAt, gift.timeZone), url: failure.accountUrl })]
    : [mailText(locale, lastTryText[failure.afterLastTry ?? 'ended'], { url: failure.accountUrl })];
  return {
    // Stripe's last try that left the gift going (unpaid or past due) is news of its own, even after
    // an earlier attempt's mail: that one said only that the gift may end. An ended gift's news is
    // the "ended" mail (monthly-end-mail.ts).
    dedupeKey: goesOnAfterLastTry ? `renewal_failed_last:${gift.id}:${failure.invoiceId}` : `renewal_failed:${gift.id}:${failure.invoiceId}`,
    toAddress: gift.donorEmail,
    kind: 'renewal_failed',
    subject: mailText(locale, 'renewal_failed_subject', { amount }),
    textBody: giftMailBody(locale, gift, mailText(locale, 'renewal_failed_body', { amount, appeal: isolated(locale, failure.appealTitle) }), ...next),
  };
}
