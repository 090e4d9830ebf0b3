import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';

export const load: PageServerLoad = async ({ fetch }) => {
  return apiGet<{ mail: { id: string; to: string; subject: string; text: string; kind: string; createdAt: string }[] }>(fetch, '/api/dev/mail');
};
