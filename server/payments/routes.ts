import rateLimit from '@fastify/rate-limit';
import { desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { appeals, donations, stripeEvents } from '../../db/schema/index';
import { AppError } from '../errors';
import { recordAudit } from '../auth/audit';
import { requirePlatformTreasurer, requireRole } from '../auth/permissions';
import { errorBodySchema, errorResponses } from '../plugins/openapi';
import { slugParams } from '../appeals/schemas';
import { donationCreatedSchema, donationIdParams, donationPublicSchema, donationRequestSchema, refundRequestSchema } from './schemas';
import { createDonation, refundDonation } from './service';

export interface PaymentRouteOptions {
  stripe: Stripe;
  publicUrl: string;
  donationsPerMinute: number;
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
      const { donation, checkoutUrl } = await createDonation({ db: app.database.db, stripe: opts.stripe, publicUrl: opts.publicUrl, customerDefaults: opts.customerDefaults }, req.params.slug, req.body);
      return reply.status(201).send({
        donationId: donation.id,
        checkoutUrl,
        amountMinor: donation.amountMinor.toString(),
        coverFeesMinor: donation.coverFeesMinor.toString(),
        currency: donation.currency,
      });
    },
  );

  // The thank-you page polls this; it shows no personal data, only what the donor already knows.
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
        .select({ d: donations, slug: appeals.slug })
        .from(donations)
        .innerJoin(appeals, eq(appeals.id, donations.appealId))
        .where(eq(donations.id, req.params.id));
      if (!row) throw new AppError(404, 'donation_not_found', 'No such donation.');
      return {
        id: row.d.id,
        appealSlug: row.slug,
        status: row.d.status,
        currency: row.d.currency,
        amountMinor: row.d.amountMinor.toString(),
        coverFeesMinor: row.d.coverFeesMinor.toString(),
        frequency: row.d.frequency,
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
          }),
        },
      },
    },
    async (req) => {
      await requirePlatformTreasurer(app.database.db, await req.viewer());
      const rows = await app.database.db.select().from(stripeEvents).where(eq(stripeEvents.status, req.query.status)).orderBy(desc(stripeEvents.receivedAt)).limit(req.query.limit);
      return {
        events: rows.map((e) => ({ id: e.id, type: e.type, status: e.status, attempts: e.attempts, lastError: e.lastError, receivedAt: e.receivedAt.toISOString() })),
      };
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
      const result = await refundDonation({ db, stripe: opts.stripe }, req.params.id, {
        amountMinor: req.body.amountMinor ? BigInt(req.body.amountMinor) : undefined,
        reason: req.body.reason,
        idempotencyKey: req.body.idempotencyKey,
      });
      await recordAudit(db, {
        actorUserId: by.userId,
        action: 'donation.refund',
        organizationId: owner.organizationId,
        subjectType: 'donation',
        subjectId: req.params.id,
        after: { refundId: result.refundId, amountMinor: result.amountMinor, status: result.status, reason: req.body.reason ?? null },
        requestId: req.id,
      });
      return reply.status(202).send({ ...result, amountMinor: result.amountMinor.toString() });
    },
  );
};
