import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { isLocale } from '$lib/locale';
import { apiGet, apiGetSignedIn, apiSend, signInPath } from '$lib/server/api';
import { m } from '$lib/paraglide/messages';

interface Member {
  id: string;
  user: { id: string; email: string; name: string };
  role: string;
  includesDescendants: boolean;
  createdAt: string;
}

const roles = ['member', 'organizer', 'treasurer', 'admin'] as const;
type Role = (typeof roles)[number];
const isRole = (v: unknown): v is Role => typeof v === 'string' && (roles as readonly string[]).includes(v);

export interface InviteValues {
  email: string;
  role: Role;
  descendants: boolean;
  lang: string;
}

// Who holds which role in an organization, for its admins: invite someone by email, take a role away.
export const load: PageServerLoad = async ({ fetch, params, locals, url }) => {
  if (!locals.user) redirect(303, signInPath(url));
  const { organizations } = await apiGet<{ organizations: { slug: string; name: string }[] }>(fetch, '/api/organizations');
  const org = organizations.find((o) => o.slug === params.org);
  if (!org) redirect(303, '/manage');
  // Not an admin here: the API says so, and the error page shows it.
  const { members } = await apiGetSignedIn<{ members: Member[] }>(fetch, `/api/organizations/${org.slug}/members`, url);
  const values: InviteValues = { email: '', role: 'member', descendants: false, lang: locals.locale };
  return { org, members, values, roles: [...roles], myUserId: locals.user.id, locale: locals.locale };
};

export const actions: Actions = {
  invite: async ({ request, fetch, params }) => {
    const form = await request.formData();
    const role = form.get('role');
    const lang = form.get('lang');
    const values: InviteValues = {
      email: String(form.get('email') ?? '').trim().slice(0, 254),
      role: isRole(role) ? role : 'member',
      descendants: form.get('descendants') === 'on',
      lang: isLocale(lang) ? lang : 'en',
    };
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) return fail(400, { invite: { values, error: m.people_error_email() } });
    const sent = await apiSend(fetch, 'POST', `/api/organizations/${params.org}/invitations`, { email: values.email, role: values.role, includesDescendants: values.descendants, locale: values.lang });
    if (sent.ok) return { invite: { invited: values.email } };
    if (sent.error.code === 'invitation.reach_exceeds_own') return fail(403, { invite: { values, error: m.people_error_reach() } });
    if (sent.status === 400) return fail(400, { invite: { values, error: m.people_error_email() } });
    return fail(sent.status === 403 ? 403 : 502, { invite: { values, error: m.error_generic_text() } });
  },
  revoke: async ({ request, fetch, params }) => {
    const id = String((await request.formData()).get('membershipId') ?? '');
    if (!/^[0-9a-f-]{36}$/i.test(id)) return fail(400, { revoke: { error: m.error_generic_text() } });
    const sent = await apiSend(fetch, 'DELETE', `/api/organizations/${params.org}/members/${id}`);
    // Already gone (another admin, another tab) is what was asked.
    if (sent.ok || sent.status === 404) return { revoke: { done: true } };
    return fail(sent.status === 403 ? 403 : 502, { revoke: { error: m.error_generic_text() } });
  },
};
