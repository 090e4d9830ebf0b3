import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { apiGetSignedIn } from '$lib/server/api';
import type { MyGift } from '$lib/server/my-giving';

// A receipt is one of the person's own gifts (the API lists only those), so no id reveals another's.
export const load: PageServerLoad = async ({ fetch, url, params, locals }) => {
  const { donations } = await apiGetSignedIn<{ donations: MyGift[] }>(fetch, `/api/me/donations?limit=500&lang=${locals.locale}`, url);
  const gift = donations.find((d) => d.id === params.id);
  if (!gift) error(404, 'No such gift of yours.');
  // The receipt names the donor as the gift did, like the mailed receipt: the account's own name
  // may differ (or be a placeholder), and a gift given under another name is still theirs.
  return { gift, locale: locals.locale, donor: { name: gift.donor.name ?? '', email: gift.donor.email } };
};
