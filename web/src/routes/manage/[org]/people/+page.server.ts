import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { isLocale } from '$lib/locale';
import { apiGet, apiSend, refusedStatus, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { refusalText } from '$lib/server/refusal-text';
import { m } from '$lib/paraglide/messages';
import { isolate } from '$lib/format';
import { isUuidText } from '../../../../../../server/uuid-text';
import { readForm } from '$lib/server/form-text';

interface Invitation {
  id: string;
  email: string;
  role: string;
  includesDescendants: boolean;
  expiresAt: string;
}

interface InvitationList {
  total: number;
  nextCursor: string | null;
  invitations: Invitation[];
}

interface Member {
  id: string;
  user: { id: string; email: string; name: string };
  role: string;
  includesDescendants: boolean;
  createdAt: string;
}

/** A role held on an organization above that reaches this one: managed there. */
interface InheritedMember {
  id: string;
  user: { id: string; email: string; name: string };
  role: string;
  organization: { slug: string; name: string };
}

interface MemberList {
  total: number;
  nextCursor: string | null;
  members: Member[];
  inherited: InheritedMember[];
  callerReachesBelow: boolean;
}

const roles = ['member', 'organizer', 'treasurer', 'admin'] as const;
/** Roles shown at once: a local's whole roster can run to thousands. */
const peoplePageSize = 100;
/** Waiting invitations shown at once: an organizer may invite a whole workplace. */
const waitingPageSize = 50;
type Role = (typeof roles)[number];
const isRole = (v: unknown): v is Role => typeof v === 'string' && (roles as readonly string[]).includes(v);

export interface InviteValues {
  email: string;
  role: Role;
  descendants: boolean;
  lang: string;
}

const orgPath = (slug: string) => `/api/organizations/${encodeURIComponent(slug)}`;

/** The people list's search as the address holds it, so a search and its pages are links. */
export interface PeopleSearch {
  q: string;
  role: Role | '';
  after: string;
  /** Where the page of waiting invitations starts (their own pages, apart from the people's). */
  waiting: string;
}

function searchOf(url: URL): PeopleSearch {
  const role = url.searchParams.get('role');
  const after = url.searchParams.get('after') ?? '';
  const waiting = url.searchParams.get('waiting') ?? '';
  const cursorText = (text: string) => (/^[A-Za-z0-9_-]{1,600}$/.test(text) ? text : '');
  return { q: (url.searchParams.get('q') ?? '').trim().slice(0, 100), role: isRole(role) ? role : '', after: cursorText(after), waiting: cursorText(waiting) };
}

/** The page's own address for a search: what is empty is left out. */
function searchQuery(search: Partial<PeopleSearch>, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...search, ...extra })) if (v) query.set(k, v);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The organization a refusal names in its details (`membership.last_admin_below`), when it names one. */
function belowOf(error: { details?: unknown }): { slug: string; name: string } | null {
  const named = (error.details as { organization?: { slug?: unknown; name?: unknown } } | undefined)?.organization;
  return typeof named?.slug === 'string' && typeof named.name === 'string' ? { slug: named.slug, name: named.name } : null;
}

// Who holds which role in an organization, for its admins: invite someone by email, take a role away.
export const load: PageServerLoad = async ({ fetch, params, locals, url }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const { organizations } = await apiGet<{ organizations: { slug: string; name: string; parentSlug: string | null }[] }>(fetch, '/api/organizations');
  const org = organizations.find((o) => o.slug === params.org);
  if (!org) redirect(303, '/manage');
  const values: InviteValues = { email: '', role: 'member', descendants: false, lang: locals.locale };
  const page = { org: { slug: org.slug, name: org.name }, values, roles: [...roles], locale: locals.locale };
  const search = searchOf(url);
  const api = new URLSearchParams({ limit: String(peoplePageSize) });
  if (search.q) api.set('q', search.q);
  if (search.role) api.set('role', search.role);
  if (search.after) api.set('cursor', search.after);
  const list = (query: URLSearchParams) => fetch(`${orgPath(org.slug)}/members?${query}`, { headers: { accept: 'application/json' } });
  let res = await list(api);
  // A page link the API does not take (edited by hand): the search's first page instead.
  if (res.status === 400 && search.after) redirect(303, `${url.pathname}${searchQuery({ q: search.q, role: search.role })}`);
  // A search the API refuses (a character no name or address holds) is said on its field, with no
  // one found. The API checks the query before who asks, so the rest of the page is asked again
  // without it: an admin's page, or "not an admin here".
  const searchRefused = res.status === 400 && search.q !== '';
  if (searchRefused) res = await list(new URLSearchParams({ limit: '1' }));
  if (res.status === 401) redirect(303, signInPath(url));
  // Not an admin here: the page says so instead of a list.
  if (res.status === 403) return { ...page, forbidden: true as const };
  if (!res.ok) error(502, m.error_generic_text());
  const listed = (await res.json()) as MemberList;
  const { members, total, nextCursor, inherited, callerReachesBelow } = searchRefused ? { ...listed, members: [], total: 0, nextCursor: null } : listed;
  const waitingQuery = new URLSearchParams({ limit: String(waitingPageSize) });
  if (search.waiting) waitingQuery.set('cursor', search.waiting);
  const waitingRes = await fetch(`${orgPath(org.slug)}/invitations?${waitingQuery}`, { headers: { accept: 'application/json' } });
  // A page link the API does not take (edited by hand): the newest invitations instead.
  if (waitingRes.status === 400 && search.waiting) redirect(303, `${url.pathname}${searchQuery({ ...search, waiting: '' })}`);
  if (waitingRes.status === 401) redirect(303, signInPath(url));
  if (!waitingRes.ok) error(502, m.error_generic_text());
  const { invitations, total: waitingTotal, nextCursor: waitingNext } = (await waitingRes.json()) as InvitationList;
  // "Also in the organizations below" means something only where there are some, and only an admin whose own role reaches them may grant it.
  const mayGrantReach = callerReachesBelow && organizations.some((o) => o.parentSlug === org.slug);
  // A grant that reaches the organizations below is only for an admin whose own role reaches them:
  // the API refuses the rest, so no button offers it. One's own role is offered too: an admin steps
  // down by it (the API keeps the last admin, here and below), after a confirmation that says so.
  const mayTouch = (g: { includesDescendants: boolean }) => !g.includesDescendants || callerReachesBelow;
  const me = locals.user.id;
  const granted = members.map((mb) => ({ ...mb, removable: mayTouch(mb), own: mb.user.id === me }));
  const waiting = invitations.map((inv) => ({ ...inv, withdrawable: mayTouch(inv) }));
  // ?remove=<id> asks to confirm before a role is taken away: a link, so it works without JavaScript.
  const removing = granted.find((mb) => mb.removable && mb.id === url.searchParams.get('remove')) ?? null;
  // ?withdraw=<id> likewise before an invitation is withdrawn: a misclick would stop a link just sent.
  const withdrawing = waiting.find((inv) => inv.withdrawable && inv.id === url.searchParams.get('withdraw')) ?? null;
  const paging = {
    total,
    /** The search's first page, from any later one. */
    first: search.after ? searchQuery({ q: search.q, role: search.role, waiting: search.waiting }) : null,
    next: nextCursor ? searchQuery({ q: search.q, role: search.role, after: nextCursor, waiting: search.waiting }) : null,
    /** This page's address with one more parameter, for a Remove or Withdraw link that comes back here. */
    here: searchQuery(search),
  };
  // The invitations' own pages keep the people's search and page as they are.
  const waitingPaging = {
    total: waitingTotal,
    newest: search.waiting ? searchQuery({ ...search, waiting: '' }) : null,
    next: waitingNext ? searchQuery({ ...search, waiting: waitingNext }) : null,
  };
  return { ...page, forbidden: false as const, members: granted, inherited, waiting, mayGrantReach, removing, withdrawing, search, searchError: searchRefused ? m.people_search_error() : null, paging, waitingPaging };
};

export const actions: Actions = {
  invite: async ({ request, fetch, params, locals, url }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const form = await readForm(request);
    const role = form.get('role');
    const lang = form.get('lang');
    const values: InviteValues = {
      email: String(form.get('email') ?? '').trim().slice(0, 254),
      role: isRole(role) ? role : 'member',
      descendants: form.get('descendants') === 'on',
      lang: isLocale(lang) ? lang : 'en',
    };
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) return fail(400, { invite: { values, error: m.people_error_email(), field: 'email' } });
    const sent = await apiSend(fetch, 'POST', `${orgPath(params.org)}/invitations`, { email: values.email, role: values.role, includesDescendants: values.descendants, locale: values.lang });
    // A reload of the page after this must not invite again.
    if (sent.ok) redirect(303, `${url.pathname}?invited=1`);
    if (sent.status === 401) redirect(303, signInPath(url));
    if (sent.error.code === 'invitation.reach_exceeds_own') return fail(403, { invite: { values, error: m.people_error_reach() } });
    if (sent.error.code === 'invitation.already_granted') return fail(409, { invite: { values, error: m.people_error_already_granted() } });
    if (sent.error.code === 'invitation.self_grant') return fail(403, { invite: { values, error: m.people_error_self_grant() } });
    if (sent.status === 403) return fail(403, { invite: { values, error: m.error_forbidden() } });
    if (sent.status === 400) return fail(400, { invite: { values, error: m.people_error_email(), field: 'email' } });
    return fail(refusedStatus(sent.status), { invite: { values, error: refusalText(sent, m.error_generic_text()) } });
  },
  withdraw: async ({ request, fetch, params, locals, url }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const id = String((await readForm(request)).get('invitationId') ?? '');
    if (!isUuidText(id)) return fail(400, { withdraw: { error: m.error_generic_text() } });
    const sent = await apiSend(fetch, 'DELETE', `${orgPath(params.org)}/invitations/${id}`);
    if (sent.ok) redirect(303, `${url.pathname}?withdrawn=1`);
    if (sent.status === 401) redirect(303, signInPath(url));
    // Accepted meanwhile: it is a role now, in the list above.
    if (sent.error.code === 'invitation.accepted' || sent.error.code === 'invitation.not_found') redirect(303, url.pathname);
    if (sent.error.code === 'invitation.reach_exceeds_own') return fail(403, { withdraw: { error: m.people_error_reach_withdraw() } });
    if (sent.status === 403) return fail(403, { withdraw: { error: m.error_forbidden() } });
    return fail(refusedStatus(sent.status), { withdraw: { error: refusalText(sent, m.error_generic_text()) } });
  },
  revoke: async ({ request, fetch, params, locals, url }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const form = await readForm(request);
    const id = String(form.get('membershipId') ?? '');
    if (!isUuidText(id)) return fail(400, { revoke: { error: m.error_generic_text() } });
    const sent = await apiSend(fetch, 'DELETE', `${orgPath(params.org)}/members/${id}`);
    // Already gone (another admin, another tab) is what was asked; the admin stays on the search they were in.
    const back = searchQuery(searchOf(url), { removed: '1' });
    // Stepping down from one's own role may leave nothing to do on this page: to the manage overview
    // (also when the role was already gone, removed in another tab: this page is then forbidden, and
    // the removal is refused as not found, or as forbidden when that role was all that let them ask).
    if ((sent.ok || sent.error.code === 'membership.not_found' || sent.status === 403) && form.get('own') === '1') redirect(303, '/manage');
    if (sent.ok || (!sent.ok && sent.error.code === 'membership.not_found')) redirect(303, `${url.pathname}${back}`);
    if (sent.status === 401) redirect(303, signInPath(url));
    if (sent.error.code === 'membership.last_admin') return fail(409, { revoke: { error: m.people_error_last_admin() } });
    // The local below that only this role runs: named, with the way to its people page.
    const below = belowOf(sent.error);
    if (sent.error.code === 'membership.last_admin_below' && below) return fail(409, { revoke: { error: m.people_error_last_admin_below({ organization: isolate(below.name) }), below } });
    if (sent.error.code === 'membership.reach_exceeds_own') return fail(403, { revoke: { error: m.people_error_reach_remove() } });
    if (sent.status === 403) return fail(403, { revoke: { error: m.error_forbidden() } });
    return fail(refusedStatus(sent.status), { revoke: { error: refusalText(sent, m.error_generic_text()) } });
  },
};
