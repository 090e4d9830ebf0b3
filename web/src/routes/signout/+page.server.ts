import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend } from '$lib/server/api';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  // better-auth ends the session and clears its cookie; hooks.server.ts hands the Set-Cookie on.
  default: async ({ fetch }) => {
    await apiSend(fetch, 'POST', '/api/auth/sign-out', {});
    redirect(303, '/');
  },
};
