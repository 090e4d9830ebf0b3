import fp from 'fastify-plugin';
import { errorBody } from '../errors';

/** Deeper than any input of ours: a body nested past it is refused rather than walked. */
const depthMax = 32;

/**
 * Where a parsed input holds text no column can keep: a NUL character (Postgres text refuses it)
 * or half of a UTF-16 surrogate pair (not text at all; jsonb refuses it, text stores a U+FFFD
 * that no longer equals what was sent). A JSON-pointer-like path, or null when all is text. Walked
 * with a stack of its own, so a body nested ten thousand deep is an answer, not a stack overflow.
 */
export function unstorableTextAt(value: unknown): string | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: at, path, depth } = stack.pop()!;
    if (typeof at === 'string') {
      if (!isStorable(at)) return path || '/';
      continue;
    }
    if (at === null || typeof at !== 'object' || ArrayBuffer.isView(at)) continue;
    if (depth >= depthMax) return path || '/';
    for (const key of Object.keys(at)) {
      if (!isStorable(key)) return `${path}/${key}`;
      const inner = (at as Record<string, unknown>)[key];
      if (typeof inner === 'string' || (inner !== null && typeof inner === 'object')) stack.push({ value: inner, path: `${path}/${key}`, depth: depth + 1 });
    }
  }
  return null;
}

/** The answer to input `unstorableTextAt` found a path in: the API's own validation error. */
export const unstorableTextRefusal = (path: string) =>
  errorBody('validation_failed', 'The request is not valid.', [{ path, message: 'holds a NUL character or a broken UTF-16 surrogate, or is nested too deep' }]);

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
      return reply.status(400).send(unstorableTextRefusal(at));
    });
  },
  { name: 'text-guard' },
);
