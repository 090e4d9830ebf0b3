import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorBody } from '../errors';
import { safeError } from '../safe-error';
import Stripe from 'stripe';

// Fastify's own 4xx codes mapped to ours; anything else 4xx becomes `bad_request`.
const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_RATE_LIMIT_EXCEEDED: 'rate_limited',
};

/** One error body for every failure: `{ error: { code, message, details? } }`; 5xx details hidden. */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof AppError) {
        return reply.status(err.statusCode).send(errorBody(err.code, err.message, err.details));
      }
      if (err instanceof Stripe.errors.StripeError) {
        // Stripe's own status and text are not ours to show (a 401 would expose a key's prefix).
        req.log.warn({ err: { type: err.type, code: err.code, statusCode: err.statusCode } }, 'payment provider refused');
        if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
          return reply.status(400).send(errorBody('payment_provider.refused', 'The payment provider refused this request.', { providerCode: err.code }));
        }
        return reply.status(502).send(errorBody('payment_provider.unavailable', 'The payment provider is not answering; try again shortly.'));
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        const details = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }));
        return reply.status(400).send(errorBody('validation_failed', 'The request is not valid.', details));
      }
      if (err instanceof SyntaxError && err.statusCode === 400) {
        return reply.status(400).send(errorBody('malformed_json', 'The request body is not valid JSON.'));
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code = fastifyCodes[err.code] ?? (status === 429 ? 'rate_limited' : status === 404 ? 'not_found' : 'bad_request');
        return reply.status(status).send(errorBody(code, err.message));
      }
      req.log.error({ err: safeError(err) }, 'request failed');
      return reply.status(status >= 500 ? status : 500).send(errorBody('internal_error', 'Something went wrong on our side.'));
    });

    app.setNotFoundHandler((req, reply) => {
      reply.status(404).send(errorBody('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`));
    });
  },
  { name: 'errors' },
);
