import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, refusedStatus, safeReturnPath } from '$lib/server/api';
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

export const actions: Actions = {
  default: async ({ request, fetch, url, locals }) => {
    const form = await readForm(request);
    const email = typedEmail(form);
    const next = safeReturnPath(form.get('next'), nextOf(url));
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return fail(400, { email, error: m.signin_error_email() });
    const sent = await apiSend(fetch, 'POST', '/api/auth/sign-in/magic-link', { email, callbackURL: next, metadata: { locale: locals.locale } });
    if (!sent.ok) {
      if (sent.status === 400) return fail(400, { email, error: m.signin_error_email() });
      return fail(refusedStatus(sent.status), { email, error: refusalText(sent, m.signin_error_failed()) });
    }
    return { sent: true, email };
  },
};
