import type { FastifyRequest } from 'fastify';
import type { Origin } from './context';
import { parseForm, type FormObject } from './form';

// Request helpers shared by the resource modules.

/** Stripe reads GET and DELETE parameters from the query string, POST parameters from the form body. */
export function params(req: FastifyRequest): FormObject {
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) return req.body as FormObject;
  const q = req.url.indexOf('?');
  return q < 0 ? {} : parseForm(req.url.slice(q + 1));
}

export function idParam(req: FastifyRequest): string {
  return (req.params as { id: string }).id;
}

export function origin(req: FastifyRequest): Origin {
  const key = req.headers['idempotency-key'];
  return { id: req.id, idempotencyKey: typeof key === 'string' ? key : null };
}

/** Path without the query string, as Stripe puts it in a list's `url`. */
export function listUrl(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}
