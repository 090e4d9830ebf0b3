import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { requireViewer } from '../auth/permissions';
import { minorUnits } from '../appeals/schemas';
import { readerLocaleQuery } from '../locale';
import { errorBodySchema, errorResponses } from '../plugins/openapi';
import { openCardPortal } from './card-portal';
import { askForRefund, refundRequestSchema } from './refund-request';
import { changeMonthlyAmount, monthlyAmountRequestSchema } from './monthly-amount';
import { monthlyPauseRequestSchema, monthlyResumeRequestSchema, pauseMonthlyGift, resumeMonthlyGift } from './monthly-pause';
import { accountPageUrl } from '../payments/donations-store';
import { linkOriginOf } from '../origins';
import { publicUrlOf } from '../config';
import { cancelMonthlyGift, myDonation, myDonations, myMonthlyGifts } from './service';

/** The appeal as its page names it in the reader's language (?lang=, else the account's): translated where it is. */
const appealRef = z.object({
  slug: z.string(),
  title: z.string(),
  language: z.string().describe('the language the title is written in (the translation\'s, else the appeal\'s own), for a page to mark it'),
});

/** One of my gifts, as the account page lists it and its receipt shows it. */
const myGift = z.object({
  id: z.uuid(),
  appeal: appealRef,
  currency: z.string(),
  amountMinor: minorUnits,
  coverFeesMinor: minorUnits,
  refundedMinor: minorUnits,
  frequency: z.enum(['one_off', 'monthly']),
  status: z.string(),
  anonymous: z.boolean(),
  donor: z.object({ name: z.string().nullable(), email: z.string() }).describe('the name and address given with this gift, as its receipt names them'),
  at: z.string(),
  timeZone: z.string().nullable().describe('the IANA zone the donor\'s browser said when they gave, or null'),
});

/** A signed-in donor's own giving: gifts made with the email address they signed in with. */
export const donorRoutes: FastifyPluginAsyncZod<{ stripe: Stripe }> = async (app, opts) => {
  const publicUrl = publicUrlOf(app.config);
  const db = app.database.db;
  // What each change of a donor's monthly gift needs.
  const gifts = { db, stripe: opts.stripe, publicUrl };

  app.get(
    '/api/me/donations',
    {
      schema: {
        tags: ['people'],
        summary: 'My gifts, newest first (signed in)',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), lang: readerLocaleQuery }),
        response: { 200: z.object({ donations: z.array(myGift) }), ...errorResponses },
      },
    },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      return { donations: await myDonations(db, viewer, req.query.limit, req.query.lang ?? viewer.locale ?? undefined) };
    },
  );

  app.get(
    '/api/me/donations/:id',
    {
      schema: {
        tags: ['people'],
        summary: 'One of my gifts, however old, for its receipt (signed in, the donor only)',
        params: z.object({ id: z.uuid() }),
        querystring: z.strictObject({ lang: readerLocaleQuery }),
        response: { 200: z.object({ donation: myGift }), ...errorResponses },
      },
    },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      return { donation: await myDonation(db, viewer, req.params.id, req.query.lang ?? viewer.locale ?? undefined) };
    },
  );

  app.get(
    '/api/me/monthly',
    {
      schema: {
        tags: ['people'],
        summary: 'My monthly gifts (signed in)',
        querystring: z.strictObject({ lang: readerLocaleQuery }),
        response: {
          200: z.object({
            monthly: z.array(
              z.object({
                id: z.uuid(),
                appeal: appealRef,
                currency: z.string(),
                amountMinor: minorUnits.describe('what each renewal charges from now on, fees covered included (the donor may have changed it since the first payment)'),
                giftAmountMinor: minorUnits.describe('of that, the gift itself: what the donor typed'),
                coversFees: z.boolean().describe('the donor adds what covers Stripe\'s fees'),
                startedAt: z.string(),
                canceledAt: z.string().nullable(),
                appealClosed: z.boolean().describe('the appeal has closed: its monthly gifts end (or have ended) with it'),
                appealDeadlineAt: z.string().nullable().describe('while the appeal is open: its deadline, when it closes and this gift ends with it (nextChargeAt is null when the next charge would fall at or after it); null for an appeal without one'),
                renewalFailedAt: z.string().nullable().describe('when the last renewal attempt failed, while it is unpaid'),
                nextAttemptAt: z.string().nullable().describe('when Stripe tries that renewal again; null after its last try'),
                nextChargeAt: z.string().nullable().describe('when Stripe charges this gift next; null once it ended or is set to end, while a renewal is unpaid, or when not known yet'),
                endsWithAppealFirst: z.boolean().describe("the appeal's deadline (appealDeadlineAt) comes before this gift's next charge would (after a pause, too): it ends then, with no further charge"),
                endsAt: z.string().nullable().describe('while Stripe is set to end this gift on a day to come (cancel at period end): that day; else null'),
                paused: z.boolean().describe("Stripe's collection is paused: renewals are voided, nothing is charged (nextChargeAt is then the first charge after the pause)"),
                pausedUntil: z.string().nullable().describe("while paused: when Stripe resumes collecting (its resumes_at); null while not paused, or for a pause with no end"),
                timeZone: z.string().nullable().describe("the IANA zone the donor's browser said when they gave (\"Asia/Tokyo\"), for showing this gift's days on their calendar; null when it said none"),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      return { monthly: await myMonthlyGifts(db, viewer, req.query.lang ?? viewer.locale ?? undefined) };
    },
  );

  app.post(
    '/api/me/monthly/:id/cancel',
    {
      schema: {
        tags: ['people'],
        summary: 'End one of my monthly gifts (signed in, the donor only)',
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({
            canceledAt: z.string(),
            renewalUnderWay: z.boolean().describe("true when Stripe was already charging this month's payment as the gift ended: that one payment is taken, nothing after it"),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => cancelMonthlyGift(gifts, requireViewer(await req.viewer()), req.params.id, req.id),
  );

  app.post(
    '/api/me/monthly/:id/amount',
    {
      schema: {
        tags: ['people'],
        summary: 'Change the amount of one of my monthly gifts from its next renewal on (signed in, the donor only); nothing is charged now',
        params: z.object({ id: z.uuid() }),
        body: monthlyAmountRequestSchema,
        response: {
          200: z.object({
            amountMinor: minorUnits.describe('what each renewal charges from now on, fees covered included'),
            giftAmountMinor: minorUnits,
            coversFees: z.boolean(),
            changed: z.boolean().describe('false when the gift already renewed at this amount: nothing was asked of Stripe'),
          }),
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (req) => changeMonthlyAmount(gifts, requireViewer(await req.viewer()), req.params.id, req.body, req.id),
  );

  app.post(
    '/api/me/monthly/:id/pause',
    {
      schema: {
        tags: ['people'],
        summary: 'Pause one of my monthly gifts for 1 to 3 monthly payments (signed in, the donor only); nothing is charged until it resumes',
        params: z.object({ id: z.uuid() }),
        body: monthlyPauseRequestSchema,
        response: {
          200: z.object({
            pausedUntil: z.string().nullable().describe("when Stripe resumes collecting: an hour before the first period that is charged again"),
            nextChargeAt: z.string().nullable().describe('the first charge after the pause'),
            changed: z.boolean().describe('false when this request was answered before (the same key): nothing more was asked of Stripe'),
          }),
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (req) => pauseMonthlyGift(gifts, requireViewer(await req.viewer()), req.params.id, req.body, req.id),
  );

  app.post(
    '/api/me/monthly/:id/resume',
    {
      schema: {
        tags: ['people'],
        summary: 'Resume one of my paused monthly gifts now (signed in, the donor only): its next renewal is charged',
        params: z.object({ id: z.uuid() }),
        body: monthlyResumeRequestSchema,
        response: {
          200: z.object({
            nextChargeAt: z.string().nullable(),
            changed: z.boolean().describe('false when the gift was not paused at Stripe: nothing was asked of it'),
          }),
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (req) => resumeMonthlyGift(gifts, requireViewer(await req.viewer()), req.params.id, req.body, req.id),
  );

  app.post(
    '/api/me/monthly/:id/card-portal',
    {
      schema: {
        tags: ['people'],
        summary: "Open Stripe's portal to update the card of one of my monthly gifts (signed in, the donor only); it returns to /account, with ?card_saved=<id> once a card is saved",
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({}).nullish().describe('nothing: the gift is in the path'),
        response: { 200: z.object({ url: z.url() }), ...errorResponses },
      },
    },
    async (req) => {
      // Back to /account either way; once a card is saved, marked so, naming the gift (see web/src/lib/card-saved.ts).
      // At the name the donor is signed in at (the embedded demo answers at two; see linkOriginOf).
      const returnUrl = accountPageUrl(linkOriginOf(app.config, req.headers.origin));
      const savedUrl = `${returnUrl}?card_saved=${req.params.id}#monthly-title`;
      return openCardPortal({ db, stripe: opts.stripe }, requireViewer(await req.viewer()), req.params.id, { returnUrl, savedUrl }, req.id);
    },
  );

  app.post(
    '/api/me/donations/:id/refund-request',
    {
      schema: {
        tags: ['people'],
        summary: "Ask the appeal's treasurers to give one of my payments back (signed in, the donor only); asking again mails nobody twice",
        params: z.object({ id: z.uuid() }),
        body: refundRequestSchema,
        response: { 200: z.object({ requested: z.literal(true) }), ...errorResponses },
      },
    },
    async (req) => askForRefund(db, requireViewer(await req.viewer()), req.params.id, req.body.reason, { publicUrl, requestId: req.id }),
  );
};
