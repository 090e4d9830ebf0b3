import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, refusedStatus, safeReturnPath, type ApiError } from '$lib/server/api';
import { refusalText } from '$lib/server/refusal-text';
import { m } from '$lib/paraglide/messages';
import { typedEmail, readForm } from '$lib/server/form-text';

// Where to go once signed in: a path on this site, else the person's own page.
const nextOf = (url: URL) => safeReturnPath(url.searchParams.get('next'), '/account');

export const load: PageServerLoad = async ({ locals, url, fetch }) => {
  if (locals.user) redirect(303, nextOf(url));
  // The embedded demo keeps mail on a page instead of sending it; say where.
  const devMail = (await fetch('/api/dev/mail?limit=1', { method: 'HEAD' })).ok;
  return { next: nextOf(url), devMail };
};

/**
 * Whether the sign-in service refused the address itself (its validation of the email field, or
 * better-auth's own check of it), not another part of the request (a return path it will not take):
 * only then is "type your email address" the answer, and the field the one marked invalid.
 */
const refusedTheAddress = (error: ApiError) =>
  error.code === 'auth.invalid_email' || (error.code === 'validation_failed' && (error.details ?? []).some((d) => d.path === '/email'));

export const actions: Actions = {
  default: async ({ request, fetch, url, locals }) => {
    const form = await readForm(request);
    const email = typedEmail(form);
    const next = safeReturnPath(form.get('next'), nextOf(url));
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return fail(400, { email, error: m.signin_error_email(), emailInvalid: true });
    const sent = await apiSend(fetch, 'POST', '/api/auth/sign-in/magic-link', { email, callbackURL: next, metadata: { locale: locals.locale } });
    if (!sent.ok) {
      if (refusedTheAddress(sent.error)) return fail(refusedStatus(sent.status), { email, error: m.signin_error_email(), emailInvalid: true });
      return fail(refusedStatus(sent.status), { email, error: refusalText(sent, m.signin_error_failed()), emailInvalid: false });
    }
    return { sent: true, email };
  },
};
