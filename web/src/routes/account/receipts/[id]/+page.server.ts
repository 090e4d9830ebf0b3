import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { apiGetSignedIn } from '$lib/server/api';
import type { MyGift } from '$lib/server/my-giving';

// A receipt is one of the person's own gifts (the API lists only those), so no id reveals another's.
export const load: PageServerLoad = async ({ fetch, url, params, locals }) => {
  const { donations } = await apiGetSignedIn<{ donations: MyGift[] }>(fetch, '/api/me/donations?limit=500', url);
  const gift = donations.find((d) => d.id === params.id);
  if (!gift) error(404, 'No such gift of yours.');
  return { gift, locale: locals.locale, donor: { name: locals.user?.name ?? '', email: locals.user?.email ?? '' } };
};
