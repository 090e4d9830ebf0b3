import { isUtf8 } from 'node:buffer';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors';
import { storableTimeEndMs } from '../storable-time';
import { InboxWriter } from './inbox-writer';
import { stripeEventId } from './schemas';
import { checkStripeSignature } from './signature';
import { isStorable } from '../plugins/text-guard';

export const webhookBodyLimitBytes = 512 * 1024;
const signatureToleranceSeconds = 300;

// Copied into columns of their own, so Postgres must take them as they are (the API's other routes
// are guarded by the text guard; this one reads its raw body itself).
const columnText = z.string().refine(isStorable, { error: 'holds a NUL or a lone surrogate' });

// What we need of an event to store it. The body itself is stored as it came, unknown fields and
// all; only these fields are read (and copied) here.
const eventEnvelope = z.object({
  id: stripeEventId,
  object: z.literal('event'),
  type: columnText.min(1).max(100),
  // Seconds, made a timestamptz by to_timestamp: within the years it holds.
  created: z.number().int().positive().lt(storableTimeEndMs / 1000),
  api_version: columnText.max(100).nullish(),
  data: z.object({ object: z.object({}) }),
});

export interface WebhookRouteOptions {
  webhookSecret: string;
}

/**
 * POST /api/stripe/webhook: verify the signature on the raw body, store the event (its id is the
 * primary key, so a repeat is a no-op) and answer 2xx once the insert commits. Posting to the
 * ledger happens later, in the poster.
 */
export const stripeWebhookRoutes: FastifyPluginAsync<WebhookRouteOptions> = async (app, opts) => {
  // Scoped to this route: the signature is over the exact bytes Stripe sent.
  const inbox = new InboxWriter(app.database.db);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: webhookBodyLimitBytes }, (_req, body, done) => done(null, body));

  // Stripe is not a browser: the security headers helmet adds for pages would only cost time here.
  app.post('/api/stripe/webhook', { schema: { hide: true }, bodyLimit: webhookBodyLimitBytes, helmet: false, config: { crossSiteAllowed: true } }, async (req, reply) => {
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0 || signature.length > 2_000) {
      throw new AppError(400, 'webhook.signature_missing', 'The Stripe-Signature header is missing.');
    }
    if (!Buffer.isBuffer(req.body)) throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    const checked = checkStripeSignature(req.body, signature, opts.webhookSecret, signatureToleranceSeconds);
    if (checked === 'stale') throw new AppError(400, 'webhook.timestamp_stale', 'The signature timestamp is too old.');
    if (checked !== 'ok') throw new AppError(400, 'webhook.signature_invalid', 'The signature does not match the body.');
    // Parsed once, after the signature holds. The inbox stores the decoded text, which is what Stripe
    // signed only when the bytes are valid UTF-8 (decoding would quietly replace what is not).
    if (!isUtf8(req.body)) throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    const text = req.body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    }
    const parsed = eventEnvelope.safeParse(json);
    if (!parsed.success) throw new AppError(400, 'webhook.malformed', 'The body is not a Stripe event.');
    const event = parsed.data;
    const fresh = await inbox.write({ id: event.id, type: event.type, apiVersion: event.api_version ?? null, createdSeconds: event.created, body: text });
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
