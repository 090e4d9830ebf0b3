import { z } from 'zod';
import { minorUnits } from '../appeals/schemas';
import { localeSchema } from '../locale';
import { canonicalTimeZone, isTimeZone } from '../../web/src/lib/time-zone';
import { regionalFormatOf } from '../../web/src/lib/format-locale';
import { isLocale } from '../../web/src/lib/locale';
import { hasVisibleText } from '../visible-text';

/** A Stripe event id as the webhook stores it: the inbox's primary key. */
export const stripeEventId = z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/);

export const donationRequestSchema = z.strictObject({
  amountMinor: z.string().regex(/^\d{1,15}$/, { error: 'a positive whole number of minor units, as a string' }),
  frequency: z.enum(['one_off', 'monthly']).default('one_off'),
  coverFees: z.boolean().default(false),
  anonymous: z.boolean().default(false),
  /** Email me the appeal's updates. */
  updatesOptIn: z.boolean().default(false),
  donorName: z.string().trim().min(1).max(120).refine(hasVisibleText, { error: 'a name with a visible character; omit it for none' }).optional(),
  donorEmail: z.email().max(254),
  message: z.string().trim().max(500).refine((m) => m === '' || hasVisibleText(m), { error: 'a message with a visible character; omit it for none' }).optional(),
  locale: localeSchema.default('en'),
  /** The donor's IANA time zone, for the dates in their mails; UTC when omitted. */
  timeZone: z.string().max(64).refine(isTimeZone, { error: 'an IANA time zone this server knows, e.g. Asia/Tokyo' }).transform(canonicalTimeZone).optional(),
  /** The region the donor's page wrote numbers in (`locale` in it, e.g. es-MX), for the amounts and dates in their mails; the language's own when omitted. */
  formatLocale: z.string().max(64).optional(),
  /** The client's key for this attempt: a retry with the same fields returns the same checkout; other fields answer 409. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,100}$/),
}).check((ctx) => {
  const { formatLocale, locale } = ctx.value;
  // A tag or language its own field already refused (too long, none of ours) is not looked at again.
  if (typeof formatLocale !== 'string' || formatLocale.length > 64 || !isLocale(locale)) return;
  if (formatLocale !== locale && regionalFormatOf(formatLocale, locale) !== formatLocale) {
    ctx.issues.push({ code: 'custom', path: ['formatLocale'], input: formatLocale, message: `a region of the gift's language as Intl writes it, e.g. ${locale}-${exampleRegion[locale]}` });
  }
});

// A region for each language, to show in a refusal what a good formatLocale looks like.
const exampleRegion = { en: 'US', fr: 'CA', de: 'CH', es: 'MX', ja: 'JP', sv: 'FI', ar: 'DZ', ru: 'KZ' } as const;

/** A gift's resume key: an HMAC-SHA-256, base64url. */
const resumeKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const donationCreatedSchema = z.object({
  donationId: z.uuid(),
  checkoutUrl: z.url(),
  amountMinor: minorUnits,
  coverFeesMinor: minorUnits,
  currency: z.string().length(3),
  /** Answers the donor's fields (POST /api/donations/:id/resume) to whoever holds it, until resumeExpiresAt. */
  resumeKey,
  resumeExpiresAt: z.iso.datetime(),
});

export const donationResumeRequestSchema = z.strictObject({ key: resumeKey });

/** What the donor typed into the giving form, for the browser that started the gift. */
export const donationResumeSchema = z.object({
  donorName: z.string().nullable(),
  donorEmail: z.string().nullable(),
  message: z.string().nullable(),
  anonymous: z.boolean(),
  updatesOptIn: z.boolean(),
});

export const donationPublicSchema = z.object({
  id: z.uuid(),
  appealSlug: z.string(),
  status: z.enum(['pending', 'succeeded', 'partially_refunded', 'refunded', 'disputed', 'failed', 'canceled']),
  currency: z.string().length(3),
  amountMinor: minorUnits,
  coverFeesMinor: minorUnits,
  frequency: z.enum(['one_off', 'monthly']),
  nextChargeAt: z.iso.datetime().nullable().describe("a monthly gift's next charge, in the hour after it was paid (for its thank-you page); else null, as for a one-off gift"),
  endsWithAppealFirst: z.boolean().describe("in that same hour: the appeal's deadline comes before the gift's next charge would, so it ends then with no further charge; else false"),
});

export const refundRequestSchema = z.strictObject({
  amountMinor: z.string().regex(/^\d{1,15}$/).optional().describe('omit for a full refund'),
  reason: z.enum(['requested_by_customer', 'duplicate', 'fraudulent']).default('requested_by_customer'),
  /** The treasurer's key for this refund (a retried click sends the same); a fresh one if omitted. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,100}$/).optional(),
});

export const donationIdParams = z.object({ id: z.uuid() });
