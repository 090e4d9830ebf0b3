import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend } from '$lib/server/api';
import { forgetSessionCookies } from '$lib/server/cookies';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  // better-auth ends the session and clears its cookie; hooks.server.ts hands the Set-Cookie on.
  // Refused or unanswered, the browser still forgets its session: a shared computer's next person
  // must not find it signed in once the API is back.
  default: async ({ fetch, cookies, url }) => {
    const sent = await apiSend(fetch, 'POST', '/api/auth/sign-out', {});
    if (!sent.ok) forgetSessionCookies(cookies, url);
    redirect(303, '/');
  },
};
