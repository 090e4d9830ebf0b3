import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, refusedStatus, signInPath, type ApiError } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { refusalText } from '$lib/server/refusal-text';
import { m } from '$lib/paraglide/messages';
import { readForm } from '$lib/server/form-text';

const tokenOf = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : null);

interface InvitationPreview {
  organization: { slug: string; name: string };
  role: string;
  includesDescendants: boolean;
  invitedBy: string | null;
  expiresAt: string;
}

/** Why an invitation cannot be accepted, as the page says it. */
function refusal(refused: { status: number; error: ApiError }, email: string): string {
  const { code } = refused.error;
  if (code === 'invitation.email_mismatch') return m.invite_error_email({ email });
  if (code === 'invitation.not_found') return m.invite_error_not_found();
  if (code === 'invitation.self_grant') return m.people_error_self_grant();
  return refusalText(refused, m.error_generic_text());
}

// Accepting changes what someone may do, so it is a button (POST), never a bare link a scanner
// opens. What the invitation offers is read first (a POST that changes nothing: the token stays
// out of the API's URLs), so the person knows what they accept, or why they cannot.
export const load: PageServerLoad = async ({ locals, url, fetch }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const token = tokenOf(url.searchParams.get('token'));
  if (!token) return { token, email: locals.user.email, offer: null, refused: m.invite_error_not_found() };
  const read = await apiSend<InvitationPreview>(fetch, 'POST', '/api/invitations/preview', { token });
  // The session ended after the check above (signed out in another tab): sign in, and back here.
  if (read.status === 401) redirect(303, signInPath(url));
  if (!read.ok) return { token, email: locals.user.email, offer: null, refused: refusal(read, locals.user.email) };
  return { token, email: locals.user.email, offer: read.body, refused: null, locale: locals.locale };
};

export const actions: Actions = {
  default: async ({ request, fetch, locals, url }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const token = tokenOf((await readForm(request)).get('token'));
    if (!token) return fail(400, { error: m.invite_error_not_found() });
    const sent = await apiSend<{ organization: { name: string }; role: string }>(fetch, 'POST', '/api/invitations/accept', { token });
    if (sent.ok) return { accepted: { organization: sent.body.organization.name, role: sent.body.role } };
    if (sent.status === 401) redirect(303, signInPath(url));
    // A refusal is the form's failure (an enhanced form reads it as one, and keeps the page), with
    // the API's status (a 429 stays a 429); only the API failing is ours to answer as 502.
    return fail(refusedStatus(sent.status), { error: refusal(sent, locals.user.email) });
  },
};
