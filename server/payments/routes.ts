import rateLimit from '@fastify/rate-limit';
import { desc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Tx } from '../../db/client';
import { appeals, donations, stripeEvents, type RefundAsk } from '../../db/schema/index';
import { AppError } from '../errors';
import { recordAudit } from '../auth/audit';
import { auditRefundOnce } from './refund-audit';
import { requirePlatformTreasurer, requireRole } from '../auth/permissions';
import { errorBodySchema, errorResponses } from '../plugins/openapi';
import { slugParams } from '../appeals/schemas';
import { donationCreatedSchema, donationIdParams, donationPublicSchema, donationRequestSchema, donationResumeRequestSchema, donationResumeSchema, refundRequestSchema, stripeEventId } from './schemas';
import { resumeWindowMs, typedFieldsOf, type GiftResumeKeys } from './gift-resume';
import { refundDonation } from './refunds';
import { createDonation } from './service';
import { linkOriginOf } from '../origins';
import { thanksNextCharge } from './upcoming-charge';

export interface PaymentRouteOptions {
  stripe: Stripe;
  donationsPerMinute: number;
  resumeKeys: GiftResumeKeys;
  customerDefaults?: Partial<Stripe.CustomerCreateParams>;
}

export const paymentRoutes: FastifyPluginAsyncZod<PaymentRouteOptions> = async (app, opts) => {
  await app.register(rateLimit, { global: false });

  // Anyone may start a gift; rate-limited per client so a script cannot flood Stripe with sessions.
  app.post(
    '/api/appeals/:slug/donations',
    {
      config: { rateLimit: { max: opts.donationsPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['donations'],
        summary: 'Start a gift: answers with the Stripe Checkout URL (public)',
        params: slugParams,
        body: donationRequestSchema,
        response: { 201: donationCreatedSchema, 409: errorBodySchema, 429: errorBodySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      // Checkout's way back (thanks, or the form again) opens at the name the donor gave from.
      const publicUrl = linkOriginOf(app.config, req.headers.origin);
      const { donation, checkoutUrl } = await createDonation({ db: app.database.db, stripe: opts.stripe, publicUrl, customerDefaults: opts.customerDefaults }, req.params.slug, req.body);
      return reply.status(201).send({
        donationId: donation.id,
        checkoutUrl,
        amountMinor: donation.amountMinor.toString(),
        coverFeesMinor: donation.coverFeesMinor.toString(),
        currency: donation.currency,
        resumeKey: opts.resumeKeys.keyOf(donation.id),
        resumeExpiresAt: new Date(donation.createdAt.getTime() + resumeWindowMs).toISOString(),
      });
    },
  );

  // Back from a canceled Checkout, the form gets its fields again without JavaScript. The gift's id
  // is in the link, which anyone may hold; the key went only to the browser that started the gift.
  app.post(
    '/api/donations/:id/resume',
    {
      schema: {
        tags: ['donations'],
        summary: 'What the donor typed for a gift not yet paid, to the key its start answered (public, by key, for an hour)',
        params: donationIdParams,
        body: donationResumeRequestSchema,
        response: { 200: donationResumeSchema, 403: errorBodySchema, 409: errorBodySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const fields = await typedFieldsOf(app.database.db, opts.resumeKeys, req.params.id, req.body.key);
      return reply.header('cache-control', 'no-store').send(fields);
    },
  );

  // The thank-you page polls this; it shows no personal data, only what the donor already knows
  // (and, for the hour after paying, the next charge of a monthly gift: upcoming-charge.ts).
  app.get(
    '/api/donations/:id',
    {
      schema: {
        tags: ['donations'],
        summary: "A gift's status, for its thank-you page (public, by unguessable id)",
        params: donationIdParams,
        response: { 200: donationPublicSchema, ...errorResponses },
      },
    },
    async (req) => {
      const [row] = await app.database.db
        .select({ d: donations, slug: appeals.slug, appeal: { status: appeals.status, deadlineAt: appeals.deadlineAt } })
        .from(donations)
        .innerJoin(appeals, eq(appeals.id, donations.appealId))
        .where(eq(donations.id, req.params.id));
      if (!row) throw new AppError(404, 'donation_not_found', 'No such donation.');
      const next = thanksNextCharge(row.d, row.appeal, new Date());
      return {
        id: row.d.id,
        appealSlug: row.slug,
        status: row.d.status,
        currency: row.d.currency,
        amountMinor: row.d.amountMinor.toString(),
        coverFeesMinor: row.d.coverFeesMinor.toString(),
        frequency: row.d.frequency,
        nextChargeAt: next.at?.toISOString() ?? null,
        endsWithAppealFirst: next.endsWithAppealFirst,
      };
    },
  );

  // Events the poster gave up on, with their last error, for a treasurer to look into.
  app.get(
    '/api/stripe/events',
    {
      schema: {
        tags: ['donations'],
        summary: 'Stripe events by status, e.g. parked ones with their errors (treasurers)',
        querystring: z.strictObject({ status: z.enum(['pending', 'processed', 'ignored', 'parked']).default('parked'), limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: {
          200: z.object({
            events: z.array(z.object({ id: z.string(), type: z.string(), status: z.string(), attempts: z.number(), lastError: z.string().nullable(), receivedAt: z.string() })),
            more: z.boolean().describe('more events of this status than `limit`: the oldest are not listed'),
          }),
        },
      },
    },
    async (req) => {
      await requirePlatformTreasurer(app.database.db, app.platform, await req.viewer());
      // One more than asked, to say whether there are more: a count of processed events would read them all.
      const found = await app.database.db.select().from(stripeEvents).where(eq(stripeEvents.status, req.query.status)).orderBy(desc(stripeEvents.receivedAt)).limit(req.query.limit + 1);
      const rows = found.slice(0, req.query.limit);
      return {
        more: found.length > rows.length,
        events: rows.map((e) => ({ id: e.id, type: e.type, status: e.status, attempts: e.attempts, lastError: e.lastError, receivedAt: e.receivedAt.toISOString() })),
      };
    },
  );

  // A parked event back in the queue once a treasurer has dealt with its cause (Stripe was down for
  // days, an appeal was fixed): the poster tries it again, with a full set of attempts. One that
  // waited days for another event (a refund for a gift never posted) gets one attempt: it posts if
  // that event has posted since, else it is parked again at once. It keeps its last error until it
  // posts, so a second failure is still explained.
  app.post(
    '/api/stripe/events/:id/retry',
    {
      schema: {
        tags: ['donations'],
        summary: 'Put a parked Stripe event back in the poster\'s queue (treasurers)',
        params: z.strictObject({ id: stripeEventId }),
        response: { 202: z.object({ id: z.string(), status: z.literal('pending') }), 409: errorBodySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const db = app.database.db;
      const by = await requirePlatformTreasurer(db, app.platform, await req.viewer());
      await db.transaction(async (tx) => {
        const [before] = await tx
          .select({ status: stripeEvents.status, attempts: stripeEvents.attempts, lastError: stripeEvents.lastError })
          .from(stripeEvents)
          .where(eq(stripeEvents.id, req.params.id))
          .for('update');
        if (!before) throw new AppError(404, 'stripe_event.not_found', 'No such Stripe event.');
        if (before.status !== 'parked') throw new AppError(409, 'stripe_event.not_parked', `This event is ${before.status}, not parked: only a parked event can be retried.`);
        await tx.update(stripeEvents).set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()` }).where(eq(stripeEvents.id, req.params.id));
        await recordAudit(tx, {
          actorUserId: by.userId,
          action: 'stripe_event.retry',
          organizationId: null,
          subjectType: 'stripe_event',
          subjectId: req.params.id,
          before: { attempts: before.attempts, lastError: before.lastError },
          requestId: req.id,
        });
      });
      app.notifyStripeEventReceived?.();
      return reply.status(202).send({ id: req.params.id, status: 'pending' as const });
    },
  );

  app.post(
    '/api/donations/:id/refund',
    {
      schema: {
        tags: ['donations'],
        summary: 'Refund a gift in full or in part (treasurers); the ledger moves when Stripe confirms',
        params: donationIdParams,
        body: refundRequestSchema,
        response: { 202: z.object({ refundId: z.string(), amountMinor: z.string(), status: z.string().nullable() }), 409: errorBodySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const db = app.database.db;
      const [owner] = await db
        .select({ organizationId: appeals.organizationId })
        .from(donations)
        .innerJoin(appeals, eq(appeals.id, donations.appealId))
        .where(eq(donations.id, req.params.id));
      if (!owner) throw new AppError(404, 'donation_not_found', 'No such donation.');
      const by = await requireRole(db, await req.viewer(), owner.organizationId, 'treasurer');
      // A refusal is the treasurer's attempt, on the record like a refund (the job audits its own).
      const onRefused = (tx: Tx, ask: RefundAsk, refusedCode: string | null) =>
        recordAudit(tx, {
          actorUserId: by.userId,
          action: 'donation.refund_refused',
          organizationId: owner.organizationId,
          subjectType: 'donation',
          subjectId: req.params.id,
          after: { askId: ask.id, amountMinor: ask.amountMinor, refusedCode, reason: req.body.reason ?? null, idempotencyKey: req.body.idempotencyKey ?? null },
          requestId: req.id,
        });
      const result = await refundDonation({ db, stripe: opts.stripe, onRefused }, req.params.id, {
        amountMinor: req.body.amountMinor ? BigInt(req.body.amountMinor) : undefined,
        reason: req.body.reason,
        idempotencyKey: req.body.idempotencyKey,
        askedBy: by.userId,
      });
      // A resend is the refund already on the record, not a second one.
      if (!result.replayed) await auditRefundOnce(db, {
        actorUserId: by.userId,
        organizationId: owner.organizationId,
        subjectId: req.params.id,
        after: { askId: result.askId, refundId: result.refundId, amountMinor: result.amountMinor, status: result.status, reason: req.body.reason ?? null, idempotencyKey: req.body.idempotencyKey ?? null },
        requestId: req.id,
      });
      return reply.status(202).send({ refundId: result.refundId, amountMinor: result.amountMinor.toString(), status: result.status });
    },
  );
};
