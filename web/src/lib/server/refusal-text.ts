import { m } from '$lib/paraglide/messages';
import type { ApiError } from './api';

// Not in api.ts: code run outside SvelteKit imports api.ts too (start-gift, and its integration
// tests), where the pages' message catalogue ($lib/paraglide) does not resolve.

/**
 * Why the API refused, in the reader's language, for the refusals that mean the same on every form
 * (too many tries, a role that does not allow it, a monthly gift that is not the donor's); else
 * `fallback`, the form's own "could not" text. `email` is the signed-in person's address.
 */
export function refusalText({ status, error }: { status: number; error: ApiError }, fallback: string, email = ''): string {
  if (status === 429 || error.code === 'rate_limited') return m.error_rate_limited();
  if (error.code === 'auth.forbidden') return m.error_forbidden();
  if (error.code === 'monthly_gift_not_found') return m.monthly_error_not_yours({ email });
  return fallback;
}
