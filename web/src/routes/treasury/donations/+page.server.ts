import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { giftIdPattern, stripeGiftIdPattern } from '$lib/gift-ids';
import { signInPath } from '$lib/server/api';


// The "open a gift" form on /treasury: a gift id (from a receipt, Stripe's metadata or a statement)
// or one of Stripe's ids for it (from Stripe's Dashboard, reconciling). An id that names no gift is
// said on the treasury page, not as a page that does not exist.
export const load: PageServerLoad = async ({ url, fetch }) => {
  const typed = (url.searchParams.get('id') ?? '').trim();
  const unknown = (id: string) => redirect(303, `/treasury?${new URLSearchParams({ nogift: id })}`);
  if (stripeGiftIdPattern.test(typed)) {
    const res = await fetch(`/api/donations/by-stripe-id/${typed}`, { headers: { accept: 'application/json' } });
    if (res.status === 401) redirect(303, signInPath(url));
    if (res.ok) redirect(303, `/treasury/donations/${((await res.json()) as { id: string }).id}`);
    await res.body?.cancel();
    unknown(typed);
  }
  const id = typed.toLowerCase();
  if (!giftIdPattern.test(id)) redirect(303, '/treasury?notfound=1');
  const res = await fetch(`/api/donations/${id}`, { headers: { accept: 'application/json' } });
  await res.body?.cancel();
  if (res.status === 404) unknown(id);
  redirect(303, `/treasury/donations/${id}`);
};
