import type { Donation } from '../../db/schema/index';
import { chargedOf, renewalAmountOf } from './renewal-amount';
import { giftMailBody, isolated, mailAmount, mailFormatOf, mailText } from '../mail/catalog';

/**
 * Why a monthly gift ended, as its mail is known: Stripe gave up after its renewal failed every
 * try, its appeal closed, or the donor ended it (their written word that the charges stop).
 */
export type MonthlyEnd = 'renewal_ended' | 'appeal_closed_ended' | 'monthly_canceled';

/**
 * The donor's word that a monthly gift has ended, and why: otherwise it just stops. Once per gift,
 * whatever the why: a gift ends once, and two ways of seeing it end at the same moment (the donor's
 * Cancel and the closing's job, or either and Stripe's event) must not send two mails that differ.
 * In the language they gave in; null when the donor left no address. `renewalUnderWay`: Stripe was
 * already charging this month's renewal when the gift ended (end-subscription.ts), so the mail
 * says that one payment is still taken instead of "nothing more will be taken".
 */
export function monthlyEndEmail(
  why: MonthlyEnd,
  gift: Pick<Donation, 'id' | 'donorEmail' | 'donorName' | 'locale' | 'formatLocale' | 'amountMinor' | 'coverFeesMinor' | 'renewalAmountMinor' | 'renewalCoverFeesMinor' | 'currency'>,
  appeal: { title: string; url: string },
  opts: { renewalUnderWay?: boolean } = {},
) {
  if (!gift.donorEmail) return null;
  const { locale } = gift;
  // The amount it gave each month by the end: the donor's changed amount, if they changed it.
  const amount = mailAmount(mailFormatOf(gift), chargedOf(renewalAmountOf(gift)), gift.currency);
  return {
    dedupeKey: `monthly_ended:${gift.id}`,
    toAddress: gift.donorEmail,
    kind: why,
    subject: mailText(locale, `${why}_subject`, { amount }),
    textBody: giftMailBody(locale, gift, mailText(locale, bodyKey(why, opts.renewalUnderWay ?? false), { amount, appeal: isolated(locale, appeal.title), url: appeal.url })),
  };
}

// A gift Stripe ended after its renewals failed has no renewal under way: its own words hold.
const bodyKey = (why: MonthlyEnd, renewalUnderWay: boolean) => (renewalUnderWay && why !== 'renewal_ended' ? (`${why}_under_way_body` as const) : (`${why}_body` as const));
