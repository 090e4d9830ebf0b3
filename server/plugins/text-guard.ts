import fp from 'fastify-plugin';
import { errorBody } from '../errors';

/**
 * Where a parsed input holds text no column can keep: a NUL character (Postgres text refuses it)
 * or half of a UTF-16 surrogate pair (not text at all; jsonb refuses it, text stores a U+FFFD
 * that no longer equals what was sent). A JSON-pointer-like path, or null when all is text.
 */
export function unstorableTextAt(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorable(value) ? null : path || '/';
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return null;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}/${key}`;
    if (!isStorable(key)) return at;
    const found = unstorableTextAt(inner, at);
    if (found) return found;
  }
  return null;
}

/** Text a Postgres column keeps as sent: no NUL, no lone surrogate. */
export const isStorable = (text: string) => !text.includes('\u0000') && (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Refuses such text in any API route's body, query or path before its handler and its schema run, so
 * no route can reach the database with it and answer 500 (or store something else than was sent).
 * Raw bodies (the Stripe webhook's signed bytes) are checked where they are read.
 */
export const textGuardPlugin = fp(
  async (app) => {
    app.addHook('preValidation', async (req, reply) => {
      // Pages read their query themselves and answer with a page, not this JSON.
      if (!req.routeOptions.url?.startsWith('/api/')) return;
      const at = unstorableTextAt(req.params) ?? unstorableTextAt(req.query) ?? unstorableTextAt(req.body);
      if (at === null) return;
      return reply.status(400).send(
        errorBody('validation_failed', 'The request is not valid.', [{ path: at, message: 'holds a NUL character or a broken UTF-16 surrogate, which no text may hold' }]),
      );
    });
  },
  { name: 'text-guard' },
);
