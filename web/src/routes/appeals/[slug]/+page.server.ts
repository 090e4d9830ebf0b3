import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealDetail } from '$lib/types';

export const load: PageServerLoad = async ({ fetch, params, locals }) => {
  const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`);
  return { appeal, locale: locals.locale };
};
