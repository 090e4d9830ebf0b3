import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { signInPath } from '$lib/server/api';
import { appealNames, treasurerGet, type LedgerAccount, type StripeEventRow } from '$lib/server/treasury';

const types = ['asset', 'liability', 'income', 'expense', 'equity'] as const;
const pageSize = 50;

export const load: PageServerLoad = async ({ fetch, url, locals }) => {
  if (!locals.user) redirect(303, signInPath(url));
  const currency = (url.searchParams.get('currency') ?? '').trim().toUpperCase();
  const type = url.searchParams.get('type') ?? '';
  const after = url.searchParams.get('after') ?? '';
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (/^[A-Z]{3}$/.test(currency)) query.set('currency', currency);
  if ((types as readonly string[]).includes(type)) query.set('type', type);
  if (/^\d{1,19}$/.test(after)) query.set('after', after);
  const [accounts, events] = await Promise.all([
    treasurerGet<{ accounts: LedgerAccount[]; nextAfter: string | null }>(fetch, `/api/ledger/accounts?${query}`, url),
    treasurerGet<{ events: StripeEventRow[] }>(fetch, '/api/stripe/events?status=parked&limit=50', url),
  ]);
  return {
    allowed: accounts !== null,
    appealNames: await appealNames(fetch, accounts?.accounts ?? []),
    accounts: accounts?.accounts ?? [],
    nextAfter: accounts?.nextAfter ?? null,
    parked: events?.events ?? [],
    filters: { currency: query.get('currency') ?? '', type: query.get('type') ?? '', paged: query.has('after') },
    types,
    notFound: url.searchParams.has('notfound'),
    locale: locals.locale,
  };
};
