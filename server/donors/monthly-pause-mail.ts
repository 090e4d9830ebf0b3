import type { Donation } from '../../db/schema/index';
import { giftMailBody, isolated, mailAmount, mailDate, mailText } from '../mail/catalog';

/**
 * The donor's word that she paused her monthly gift (nothing is charged until the day it names), or
 * resumed it (and when it is charged next). Written with the change (its dedupe key names the
 * request, so a retried request mails once), in the language she gave in; null when she left no
 * address. Only her own pause and resume are mailed: the pause's mail already named the day it
 * ends, and the receipt of the payment that day says it went on; a treasurer's pause in Stripe's
 * Dashboard shows on her page.
 */
export function monthlyPauseEmail(
  gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'timeZone' | 'currency'>,
  kind: 'paused' | 'resumed',
  c: { amountMinor: bigint; nextChargeAt: Date | null; appealTitle: string; accountUrl: string; requestKey: string },
) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  const amount = mailAmount(locale, c.amountMinor, gift.currency);
  const date = c.nextChargeAt ? mailDate(locale, c.nextChargeAt, gift.timeZone) : null;
  const when =
    kind === 'paused'
      ? date ? mailText(locale, 'monthly_paused_until', { date }) : mailText(locale, 'monthly_paused_open')
      : date ? mailText(locale, 'monthly_resumed_next', { date }) : mailText(locale, 'monthly_resumed_next_unknown');
  return {
    dedupeKey: `monthly_${kind}:${gift.id}:${c.requestKey}`,
    toAddress: gift.donorEmail,
    kind: `monthly_${kind}`,
    subject: kind === 'paused' ? mailText(locale, 'monthly_paused_subject') : mailText(locale, 'monthly_resumed_subject', { amount }),
    textBody: giftMailBody(
      locale,
      gift,
      `${mailText(locale, kind === 'paused' ? 'monthly_paused_body' : 'monthly_resumed_body', { amount, appeal: isolated(locale, c.appealTitle) })}\n${when}`,
      mailText(locale, 'monthly_amount_where', { url: c.accountUrl }),
    ),
  };
}
