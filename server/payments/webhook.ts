import type { FastifyPluginAsync } from 'fastify';
import type Stripe from 'stripe';
import { z } from 'zod';
import { AppError } from '../errors';
import { InboxWriter } from './inbox-writer';

export const webhookBodyLimitBytes = 512 * 1024;
const signatureToleranceSeconds = 300;

// What we need of an event to store it; everything else Stripe sends is kept as it came.
const eventEnvelope = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/),
  object: z.literal('event'),
  type: z.string().min(1).max(100),
  created: z.number().int().positive(),
  api_version: z.string().nullish(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

/**
 * POST /api/stripe/webhook: verify the signature on the raw body, store the event (its id is the
 * primary key, so a repeat is a no-op) and answer 2xx once the insert commits. Posting to the
 * ledger happens later, in the poster.
 */
export const stripeWebhookRoutes: FastifyPluginAsync<{ stripe: Stripe; webhookSecret: string }> = async (app, opts) => {
  // Scoped to this route: the signature is over the exact bytes Stripe sent.
  const inbox = new InboxWriter(app.database.db);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: webhookBodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post('/api/stripe/webhook', { schema: { hide: true }, bodyLimit: webhookBodyLimitBytes }, async (req, reply) => {
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0 || signature.length > 2_000) {
      throw new AppError(400, 'webhook.signature_missing', 'The Stripe-Signature header is missing.');
    }
    if (!Buffer.isBuffer(req.body)) throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    let verified: unknown;
    try {
      verified = opts.stripe.webhooks.constructEvent(req.body, signature, opts.webhookSecret, signatureToleranceSeconds);
    } catch (err) {
      const stale = err instanceof Error && /timestamp outside the tolerance zone/i.test(err.message);
      throw new AppError(400, stale ? 'webhook.timestamp_stale' : 'webhook.signature_invalid',
        stale ? 'The signature timestamp is too old.' : 'The signature does not match the body.');
    }
    const parsed = eventEnvelope.safeParse(verified);
    if (!parsed.success) throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    const event = parsed.data;
    const fresh = await inbox.write({
      id: event.id,
      type: event.type,
      apiVersion: event.api_version ?? null,
      stripeCreatedAt: new Date(event.created * 1000),
      payload: event as Record<string, unknown>,
    });
    app.notifyStripeEventReceived?.();
    return reply.status(200).send({ received: true, duplicate: !fresh });
  });

};

declare module 'fastify' {
  interface FastifyInstance {
    /** Wakes the in-process poster so events post without waiting for its next poll. */
    notifyStripeEventReceived?: () => void;
  }
}
