import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, signInPath } from '$lib/server/api';
import { m } from '$lib/paraglide/messages';

const tokenOf = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : null);

// Accepting changes what someone may do, so it is a button (POST), never a bare link a scanner opens.
export const load: PageServerLoad = ({ locals, url }) => {
  if (!locals.user) redirect(303, signInPath(url));
  return { token: tokenOf(url.searchParams.get('token')), email: locals.user.email };
};

export const actions: Actions = {
  default: async ({ request, fetch, locals, url }) => {
    if (!locals.user) redirect(303, signInPath(url));
    const token = tokenOf((await request.formData()).get('token'));
    if (!token) return { error: m.invite_error_not_found() };
    const sent = await apiSend<{ organization: { name: string }; role: string }>(fetch, 'POST', '/api/invitations/accept', { token });
    if (sent.ok) return { accepted: { organization: sent.body.organization.name, role: sent.body.role } };
    if (sent.error.code === 'invitation.email_mismatch') return { error: m.invite_error_email({ email: locals.user.email }) };
    if (sent.error.code === 'invitation.not_found') return { error: m.invite_error_not_found() };
    if (sent.error.code === 'invitation.self_grant') return { error: m.people_error_self_grant() };
    return { error: m.error_generic_text() };
  },
};
