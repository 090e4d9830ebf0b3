import { isDeepStrictEqual } from 'node:util';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { z } from 'zod';
import type { Db } from '../../db/client';
import { appeals, donations, type Donation } from '../../db/schema/index';
import { AppError } from '../errors';
import { appealTitleIn, appealTitles } from './donations-store';
import { formatMinorAsDecimalString, stripeMaximumChargeMinor, stripeMinimumChargeMinor, stripeStepMinor, toStripeAmount } from '../ledger/money';
import { coverFeesMinor, largestGiftMinor } from './charge-limits';
import type { donationRequestSchema } from './schemas';
import type { Locale } from '../../web/src/lib/locale';

type DonationRequest = z.infer<typeof donationRequestSchema>;

/**
 * A gift Stripe can charge: from its minimum to the most one charge holds, fees covered included.
 * That ceiling is Stripe's own, which fits every currency: one count of units for all (100,000)
 * would hold a Japanese donor to ¥100,000, about $650, and an Indonesian one to about $6.
 */
export function assertAmount(amountMinor: bigint, chargedMinor: bigint, currency: string, unitPriceMinor: bigint | null): void {
  const minimum = stripeMinimumChargeMinor(currency) ?? stripeStepMinor(currency);
  const maximum = stripeMaximumChargeMinor(currency);
  if (amountMinor < minimum) {
    throw new AppError(400, 'donation.amount_too_small', `The smallest gift is ${formatMinorAsDecimalString(minimum, currency)} ${currency}.`);
  }
  if (chargedMinor > maximum) {
    const largest = largestGiftMinor(currency, chargedMinor !== amountMinor, unitPriceMinor);
    throw new AppError(400, 'donation.amount_too_large', `The largest payment online is ${formatMinorAsDecimalString(maximum, currency)} ${currency}, fees covered included: a gift of at most ${formatMinorAsDecimalString(largest, currency)} ${currency}.`, {
      maximumMinor: maximum.toString(),
      maximumGiftMinor: largest.toString(),
    });
  }
  if (amountMinor % stripeStepMinor(currency) !== 0n) {
    throw new AppError(400, 'donation.amount_not_payable', `This amount cannot be charged in ${currency}.`);
  }
  if (unitPriceMinor && amountMinor % unitPriceMinor !== 0n) {
    throw new AppError(400, 'donation.amount_not_whole_units', 'Give a whole number of units for this appeal.');
  }
}

type RequestFields = Pick<Donation, 'appealId' | 'amountMinor' | 'coverFeesMinor' | 'frequency' | 'donorName' | 'donorEmail' | 'anonymous' | 'updatesOptIn' | 'message' | 'locale'>;

/**
 * The request a gift row was made from (every field of it but the key), so a retry can be told
 * from a different gift under the same key. Covering the fees compares as asked, not as priced:
 * a retry across a change of the fee estimate is still the same request.
 */
function requestOf(d: RequestFields) {
  return {
    appealId: d.appealId,
    amountMinor: d.amountMinor,
    coverFees: d.coverFeesMinor > 0n,
    frequency: d.frequency,
    donorName: d.donorName,
    donorEmail: d.donorEmail,
    anonymous: d.anonymous,
    updatesOptIn: d.updatesOptIn,
    message: d.message,
    locale: d.locale,
  };
}

export interface DonationDeps {
  db: Db;
  stripe: Stripe;
  publicUrl: string;
  /** Extra fields for the Stripe customer of a monthly gift (tests attach a test clock). */
  customerDefaults?: Partial<Stripe.CustomerCreateParams>;
}

/**
 * Creates the donation (pending) and its Stripe Checkout Session. A retried request with the same
 * idempotency key returns the same session while it is open, and a 409 once it was paid or expired;
 * the same key with different parameters is refused (409) and changes nothing. The Stripe call
 * carries a key of its own.
 */
export async function createDonation(
  deps: DonationDeps,
  slug: string,
  req: DonationRequest,
): Promise<{ donation: Donation; checkoutUrl: string }> {
  // The appeal is read and the gift stored in one transaction, the appeal's row shared until then:
  // an organizer changing its currency or unit meanwhile either commits first (and the gift is
  // checked and made on the new terms) or waits, finds this gift and is refused, as terms lock once
  // a gift exists. Read apart, a gift could be stored in a currency the appeal no longer raises.
  const { appeal, donation, values } = await deps.db.transaction(async (tx) => {
    const [appeal] = await tx.select().from(appeals).where(eq(appeals.slug, slug)).for('share');
    // Past its deadline an appeal takes nothing, though it reads live until the deadline job closes it.
    const ended = appeal?.deadlineAt != null && appeal.deadlineAt <= new Date();
    if (!appeal || appeal.status !== 'live' || ended) throw new AppError(404, 'appeal_not_found', `No live appeal "${slug}".`);
    const amountMinor = BigInt(req.amountMinor);
    const coverFees = req.coverFees ? coverFeesMinor(amountMinor, appeal.currency) : 0n;
    assertAmount(amountMinor, amountMinor + coverFees, appeal.currency, appeal.unitPriceMinor);
    const values = {
      appealId: appeal.id,
      currency: appeal.currency,
      amountMinor,
      coverFeesMinor: coverFees,
      frequency: req.frequency,
      donorName: req.donorName ?? null,
      donorEmail: req.donorEmail,
      anonymous: req.anonymous,
      updatesOptIn: req.updatesOptIn,
      message: req.message || null,
      messageStatus: req.message ? ('pending' as const) : ('none' as const),
      locale: req.locale,
      // Not part of the request's identity: it only dates the mails.
      timeZone: req.timeZone ?? null,
      // Nor this, which only writes the mails' numbers as the donor's page did (checked by the schema).
      formatLocale: req.formatLocale && req.formatLocale !== req.locale ? req.formatLocale : null,
      requestKey: `request:${req.idempotencyKey}`,
    };
    // A key names one request across every appeal, as at Stripe. Keys used to be scoped to their
    // appeal; a gift stored that way is still found on its own appeal.
    const keys = [values.requestKey, `${appeal.id}:${req.idempotencyKey}`];
    const [existing] = await tx.select().from(donations).where(inArray(donations.requestKey, keys));
    const donation =
      existing ??
      (await tx.insert(donations).values(values).onConflictDoNothing().returning())[0] ??
      // Another request with this key won the insert: it may have asked for something else.
      (await tx.select().from(donations).where(inArray(donations.requestKey, keys)))[0]!;
    return { appeal, donation, values };
  });
  if (!isDeepStrictEqual(requestOf(donation), requestOf(values))) {
    throw new AppError(409, 'donation.idempotency_conflict', 'This idempotency key was already used for a different gift; use a new key for a new gift.');
  }
  const session = donation.checkoutSessionId ? await deps.stripe.checkout.sessions.retrieve(donation.checkoutSessionId) : await startCheckout(deps, appeal, donation);
  return { donation, checkoutUrl: openCheckoutUrl(session, donation.id) };
}

/**
 * A replay answers the gift's one session as it is now, never a second session: Stripe forgets an
 * idempotency key after a day, and a session paid or expired since must not be offered again.
 */
function openCheckoutUrl(session: Stripe.Checkout.Session, donationId: string): string {
  if (session.status === 'complete') {
    throw new AppError(409, 'donation.checkout_completed', "This gift's checkout was already completed; it cannot be paid again.", { donationId });
  }
  if (session.status !== 'open' || !session.url) {
    throw new AppError(409, 'donation.checkout_expired', "This gift's checkout expired unpaid; start a new gift with a new idempotency key.", { donationId });
  }
  return session.url;
}

async function startCheckout(deps: DonationDeps, appeal: typeof appeals.$inferSelect, d: Donation): Promise<Stripe.Checkout.Session> {
  let session: Stripe.Response<Stripe.Checkout.Session>;
  try {
    session = await createCheckoutSession(deps, appeal, d);
  } catch (err) {
    // An earlier attempt reached Stripe but its session never reached the row, and what we would
    // ask now differs (the appeal was renamed or its translation edited, say). A new Stripe key
    // would open a second checkout for one gift, which the donor could pay twice.
    if (err instanceof Stripe.errors.StripeIdempotencyError) {
      throw new AppError(409, 'donation.checkout_not_resumable', "This gift's checkout cannot be resumed; start a new gift with a new idempotency key.", { donationId: d.id });
    }
    // Under Stripe's minimum for a currency it publishes none for (the equivalent of 0.50 USD, at
    // today's rate), which only Stripe knows: the donor is told to give more, not that it failed.
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'amount_too_small') {
      throw new AppError(400, 'donation.amount_below_card_minimum', `Stripe refuses a card payment this small in ${d.currency}; give more.`);
    }
    throw err;
  }
  await deps.db.update(donations).set({ checkoutSessionId: session.id }).where(and(eq(donations.id, d.id), isNull(donations.checkoutSessionId)));
  // Stripe replays a key's first answer as it was then; the session may have been paid since.
  return session.lastResponse.headers['idempotent-replayed'] === 'true' ? deps.stripe.checkout.sessions.retrieve(session.id) : session;
}

/**
 * Checkout's language for each of ours. Checkout has no Arabic, and a locale it lacks refuses the
 * whole session: Arabic readers get "auto", Checkout's pick from their browser's languages.
 */
const checkoutLocaleOf: Record<Locale, Stripe.Checkout.SessionCreateParams.Locale> = { en: 'en', fr: 'fr', es: 'es', de: 'de', ja: 'ja', sv: 'sv', ru: 'ru', ar: 'auto' };

async function createCheckoutSession(deps: DonationDeps, appeal: typeof appeals.$inferSelect, d: Donation) {
  const metadata = { donation_id: d.id, appeal_id: appeal.id };
  const unitAmount = toStripeAmount(d.amountMinor + d.coverFeesMinor, d.currency);
  const base = `${deps.publicUrl}/appeals/${appeal.slug}`;
  // Stripe's page names the gift as the appeal's page did, in the donor's language.
  const name = appealTitleIn({ ...appeal, titles: await appealTitles(deps.db, appeal.id) }, d.locale);
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: d.frequency === 'monthly' ? 'subscription' : 'payment',
    ...(d.frequency === 'monthly' ? { customer: await monthlyCustomer(deps, d) } : { customer_email: d.donorEmail ?? undefined }),
    client_reference_id: d.id,
    locale: checkoutLocaleOf[d.locale as Locale] ?? 'auto',
    metadata,
    success_url: `${base}/thanks?donation=${d.id}`,
    // Back to the form (#give), which keeps the gift and says nothing was charged: on a phone it is
    // two screens below the top of the appeal.
    cancel_url: `${base}?donation=${d.id}&canceled=1#give`,
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: d.currency.toLowerCase(),
          unit_amount: unitAmount,
          product_data: { name: name.slice(0, 250) },
          ...(d.frequency === 'monthly' ? { recurring: { interval: 'month' as const } } : {}),
        },
      },
    ],
    ...(d.frequency === 'monthly' ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
  };
  return deps.stripe.checkout.sessions.create(params, { idempotencyKey: `donation:${d.id}:checkout` });
}

// A monthly gift gets a Stripe customer of its own, so the member can later manage or cancel it.
async function monthlyCustomer(deps: DonationDeps, d: Donation): Promise<string> {
  const customer = await deps.stripe.customers.create(
    { email: d.donorEmail ?? undefined, name: d.donorName ?? undefined, metadata: { donation_id: d.id }, ...deps.customerDefaults },
    { idempotencyKey: `donation:${d.id}:customer` },
  );
  return customer.id;
}
