import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

// The "open a gift" form on /treasury: a gift id (from a receipt, Stripe's metadata or a statement).
export const load: PageServerLoad = ({ url }) => {
  const id = (url.searchParams.get('id') ?? '').trim().toLowerCase();
  redirect(303, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? `/treasury/donations/${id}` : '/treasury?notfound=1');
};
