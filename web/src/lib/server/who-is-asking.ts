import { error, redirect } from '@sveltejs/kit';
import { apiUnanswered } from './api';
import type { Me } from './me';

/**
 * What GET /api/me's answer says about who is asking: a person, no one (the API said the session is
 * missing or ended), or nothing known (the API did not answer, or failed), with the status a page
 * that needs a signed-in person then answers with.
 */
export type WhoIsAsking = { me: Me } | { signedOut: true } | { unknown: 502 | 503 };

export async function readWhoIsAsking(res: Response): Promise<WhoIsAsking> {
  // Only the API's own "no session" is signed out (an expired or revoked session; better-auth's
  // Set-Cookie clears it). An API down or failing says nothing about the session: taken as signed
  // out, it sent an organizer to sign in as if her session had ended, where "try again" is true.
  if (res.status === 401) return { signedOut: true };
  if (!res.ok) return { unknown: res.status === 503 || res.status === 429 ? 503 : 502 };
  const me = (await res.json().catch(() => null)) as Me | null;
  return me?.user ? { me } : { unknown: 502 };
}

/**
 * A page (or form) for signed-in people, asked for with no signed-in person known: to sign in at
 * `signIn`, and back; or, when the API could not say who is asking, the error page ("try again"),
 * which keeps the session that may well still be good. Public pages do not call this: they render
 * for whoever asks, as for a signed-out reader.
 */
export function needsSignIn(locals: App.Locals, signIn: string): never {
  if (locals.sessionUnknown !== null) error(locals.sessionUnknown, apiUnanswered.error);
  redirect(303, signIn);
}
