import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The "open a gift" form on /treasury: a gift id (from a receipt, Stripe's metadata or a statement).
// An id that names no gift is said on the treasury page, not as a page that does not exist.
export const load: PageServerLoad = async ({ url, fetch }) => {
  const id = (url.searchParams.get('id') ?? '').trim().toLowerCase();
  if (!uuid.test(id)) redirect(303, '/treasury?notfound=1');
  const res = await fetch(`/api/donations/${id}`, { headers: { accept: 'application/json' } });
  await res.body?.cancel();
  redirect(303, res.status === 404 ? `/treasury?${new URLSearchParams({ nogift: id })}` : `/treasury/donations/${id}`);
};
