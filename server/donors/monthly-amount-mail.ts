import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailFormatOf, mailText } from '../mail/catalog';

/**
 * The donor's word that their monthly gift's amount changed: from what, to what, and from which
 * payment (nothing is charged now). Written with the change (its dedupe key names the request, so
 * a retried request mails once), in the language they gave in; null when they left no address.
 * A change the appeal's treasurer made at Stripe says so (its request is Stripe's event), and what
 * of the new amount covers Stripe's fees, should it be the split the donor chose.
 */
export function monthlyAmountEmail(
  gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'timeZone' | 'currency'>,
  change: { previousMinor: bigint; amountMinor: bigint; nextChargeAt: Date | null; endsWithAppealOn: Date | null; appealTitle: string; accountUrl: string; requestKey: string; by?: 'treasurer'; coverFeesMinor?: bigint },
) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  const format = mailFormatOf(gift);
  const amount = mailAmount(format, change.amountMinor, gift.currency);
  const previous = mailAmount(format, change.previousMinor, gift.currency);
  // No next payment comes when the appeal's deadline ends the gift first: said instead.
  const from = change.endsWithAppealOn
    ? mailText(locale, 'monthly_ends_with_appeal', { date: mailDate(format, change.endsWithAppealOn, gift.timeZone) })
    : change.nextChargeAt
    ? mailText(locale, 'monthly_amount_next', { date: mailDate(format, change.nextChargeAt, gift.timeZone) })
    : mailText(locale, 'monthly_amount_next_unknown');
  const body = mailText(locale, change.by === 'treasurer' ? 'monthly_amount_treasurer_body' : 'monthly_amount_body', { amount, previous, appeal: isolated(locale, change.appealTitle) });
  const fees = change.coverFeesMinor ? mailText(locale, 'monthly_amount_fees', { fees: mailAmount(format, change.coverFeesMinor, gift.currency) }) : null;
  return {
    dedupeKey: `monthly_amount:${gift.id}:${change.requestKey}`,
    toAddress: gift.donorEmail,
    kind: 'monthly_amount_changed',
    subject: mailText(locale, 'monthly_amount_subject', { amount }),
    textBody: giftMailBody(
      locale,
      gift,
      [body, fees, from].filter((line) => line !== null).join('\n'),
      mailText(locale, 'monthly_amount_where', { url: change.accountUrl }),
    ),
  };
}
