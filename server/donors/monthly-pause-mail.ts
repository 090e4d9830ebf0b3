import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailFormatOf, mailText } from '../mail/catalog';

/**
 * The donor's word that her monthly gift was paused (nothing is charged until the day it names), or
 * resumed (and when it is charged next): by her here, or by the appeal's treasurer at Stripe, which
 * it says. Written with the change (its dedupe key names the request, so a retried request mails
 * once), in the language she gave in; null when she left no address. Stripe ending a pause on
 * its day is not mailed: the pause's mail already named the day, and the receipt of the payment
 * that day says it went on.
 */
export function monthlyPauseEmail(
  gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'timeZone' | 'currency'>,
  kind: 'paused' | 'resumed',
  c: { amountMinor: bigint; nextChargeAt: Date | null; endsWithAppealOn: Date | null; appealTitle: string; accountUrl: string; requestKey: string; by?: 'treasurer'; keptAsDraft?: boolean },
) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  const format = mailFormatOf(gift);
  const amount = mailAmount(format, c.amountMinor, gift.currency);
  const date = c.nextChargeAt ? mailDate(format, c.nextChargeAt, gift.timeZone) : null;
  // A pause, or a gift resumed, that its appeal's deadline ends first: no "until you resume it", no next payment.
  const when = c.endsWithAppealOn
    ? mailText(locale, 'monthly_ends_with_appeal', { date: mailDate(format, c.endsWithAppealOn, gift.timeZone) })
    : kind === 'paused'
      ? date ? mailText(locale, 'monthly_paused_until', { date }) : mailText(locale, 'monthly_paused_open')
      : date ? mailText(locale, 'monthly_resumed_next', { date }) : mailText(locale, 'monthly_resumed_next_unknown');
  // A pause made at Stripe that keeps the invoices as drafts leaves those months owed, to be
  // collected later if the treasurer finalizes them: "nothing is charged" alone would read as skipped.
  const owed = kind === 'paused' && c.keptAsDraft ? `\n${mailText(locale, 'monthly_paused_kept_as_draft')}` : '';
  return {
    dedupeKey: `monthly_${kind}:${gift.id}:${c.requestKey}`,
    toAddress: gift.donorEmail,
    kind: `monthly_${kind}`,
    subject: kind === 'paused' ? mailText(locale, 'monthly_paused_subject') : mailText(locale, 'monthly_resumed_subject', { amount }),
    textBody: giftMailBody(
      locale,
      gift,
      `${mailText(locale, `monthly_${kind}${c.by === 'treasurer' ? '_treasurer' : ''}_body`, { amount, appeal: isolated(locale, c.appealTitle) })}\n${when}${owed}`,
      mailText(locale, 'monthly_amount_where', { url: c.accountUrl }),
    ),
  };
}
