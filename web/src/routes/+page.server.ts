import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealSummary } from '$lib/types';

export const load: PageServerLoad = async ({ fetch, locals, url }) => {
  const { appeals } = await apiGet<{ appeals: AppealSummary[] }>(fetch, '/api/appeals?limit=50');
  return { appeals, locale: locals.locale, nowMs: Date.now(), origin: url.origin };
};
