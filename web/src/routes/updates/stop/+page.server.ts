import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, refusedStatus } from '$lib/server/api';
import { refusalText } from '$lib/server/refusal-text';
import { m } from '$lib/paraglide/messages';
import { stopTokenPattern, updateStopPath } from '../../../../../server/appeals/update-stop-link';
import { readForm } from '$lib/server/form-text';

interface Target {
  appeal: { slug: string; title: string };
  subscribed: boolean;
}

const tokenOf = (v: unknown) => (typeof v === 'string' && stopTokenPattern.test(v) ? v : null);
const stopPath = (token: string, lang: string) => `${updateStopPath}?${new URLSearchParams({ token, lang })}`;

// The link in the mail only shows what it would stop: stopping is the button (a POST), since mail
// scanners open every link in a mail. Mail clients' own unsubscribe button posts to the API.
export const load: PageServerLoad = async ({ url, fetch, locals }) => {
  const token = tokenOf(url.searchParams.get('token'));
  if (!token) return { token: null, target: null };
  const res = await fetch(stopPath(token, locals.locale), { headers: { accept: 'application/json' } });
  if (res.status === 404) return { token: null, target: null };
  if (!res.ok) error(502, m.error_generic_text());
  return { token, target: (await res.json()) as Target };
};

export const actions: Actions = {
  default: async ({ request, fetch, locals }) => {
    const token = tokenOf((await readForm(request)).get('token'));
    if (!token) return fail(404, { unknown: true });
    const sent = await apiSend<Target>(fetch, 'POST', stopPath(token, locals.locale));
    if (sent.ok) return { stopped: sent.body };
    if (sent.status === 404) return fail(404, { unknown: true });
    return fail(refusedStatus(sent.status), { error: refusalText(sent, m.error_generic_text()) });
  },
};
