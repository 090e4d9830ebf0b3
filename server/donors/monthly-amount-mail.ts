import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailText } from '../mail/catalog';

/**
 * The donor's word that their monthly gift's amount changed: from what, to what, and from which
 * payment (nothing is charged now). Written with the change (its dedupe key names the request, so
 * a retried request mails once), in the language they gave in; null when they left no address.
 */
export function monthlyAmountEmail(
  gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'timeZone' | 'currency'>,
  change: { previousMinor: bigint; amountMinor: bigint; nextChargeAt: Date | null; appealTitle: string; accountUrl: string; requestKey: string },
) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  const amount = mailAmount(locale, change.amountMinor, gift.currency);
  const previous = mailAmount(locale, change.previousMinor, gift.currency);
  const from = change.nextChargeAt
    ? mailText(locale, 'monthly_amount_next', { date: mailDate(locale, change.nextChargeAt, gift.timeZone) })
    : mailText(locale, 'monthly_amount_next_unknown');
  return {
    dedupeKey: `monthly_amount:${gift.id}:${change.requestKey}`,
    toAddress: gift.donorEmail,
    kind: 'monthly_amount_changed',
    subject: mailText(locale, 'monthly_amount_subject', { amount }),
    textBody: giftMailBody(
      locale,
      gift,
      `${mailText(locale, 'monthly_amount_body', { amount, previous, appeal: isolated(locale, change.appealTitle) })}\n${from}`,
      mailText(locale, 'monthly_amount_where', { url: change.accountUrl }),
    ),
  };
}
