import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { checkApiKey } from './auth';
import { invalidRequest, StripeApiError } from './errors';
import { parseForm } from './form';
import { IdempotencyStore } from './idempotency';
import { newId } from './ids';

export interface ServerOptions {
  logger: Logger | undefined;
  apiKey: string | undefined;
  idempotency: IdempotencyStore;
}

const BODY_LIMIT = 1024 * 1024;

interface PendingIdempotency {
  scope: string;
  key: string;
  fingerprint: string;
}

// The HTTP shell: Stripe's form bodies, auth, idempotency and error shapes. Routes are added by the caller.
export function buildServer(opts: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: () => newId('req', 14),
  }) as unknown as FastifyInstance;
  const rawBodies = new WeakMap<FastifyRequest, string>();
  const pending = new WeakMap<FastifyRequest, PendingIdempotency>();

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    try {
      rawBodies.set(req, body as string);
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('request-id', req.id);
    if (req.url.startsWith('/v1/')) checkApiKey(req.headers.authorization, opts.apiKey);
  });
  app.addHook('preHandler', async (req, reply) => replayIdempotent(req, reply, opts.idempotency, rawBodies, pending));
  app.addHook('onSend', async (req, reply, payload) => {
    const p = pending.get(req);
    const status = reply.statusCode;
    if (p && typeof payload === 'string' && (status < 400 || status === 402)) {
      opts.idempotency.save(p.scope, p.key, p.fingerprint, status, payload);
    }
    return payload;
  });
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const e = new StripeApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${req.method}: ${req.url.split('?')[0]}). The Stripe emulator implements only the subset of the API this product uses.`,
    });
    void reply.code(404).send(e.toJSON());
  });
  return app;
}

async function replayIdempotent(
  req: FastifyRequest,
  reply: FastifyReply,
  store: IdempotencyStore,
  rawBodies: WeakMap<FastifyRequest, string>,
  pending: WeakMap<FastifyRequest, PendingIdempotency>,
): Promise<FastifyReply | undefined> {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !req.url.startsWith('/v1/') || (req.method !== 'POST' && req.method !== 'DELETE')) return undefined;
  const scope = req.headers.authorization ?? '';
  const fingerprint = `${req.method} ${req.url}\n${rawBodies.get(req) ?? ''}`;
  const hit = store.lookup(scope, key, fingerprint);
  if (!hit) {
    pending.set(req, { scope, key, fingerprint });
    return undefined;
  }
  return reply.code(hit.status).header('idempotent-replayed', 'true').type('application/json').send(hit.body);
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof StripeApiError) {
    void reply.code(err.statusCode).send(err.toJSON());
    return;
  }
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const mapped = invalidRequest(e.message ?? 'Invalid request.');
    void reply.code(e.statusCode).send(mapped.toJSON());
    return;
  }
  if (req.url.startsWith('/_emulator/') && err instanceof Error) {
    void reply.code(400).send(invalidRequest(err.message).toJSON());
    return;
  }
  req.log.error({ err }, 'stripe emulator: internal error');
  const internal = new StripeApiError(500, { type: 'api_error', message: 'An unexpected error occurred in the Stripe emulator.' });
  void reply.code(500).send(internal.toJSON());
}
