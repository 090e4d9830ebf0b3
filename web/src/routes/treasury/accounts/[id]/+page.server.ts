import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { signInPath } from '$lib/server/api';
import { appealNames, treasurerGet, type LedgerAccount, type StatementLine } from '$lib/server/treasury';

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  if (!locals.user) redirect(303, signInPath(url));
  if (!/^\d{1,19}$/.test(params.id)) error(404, 'No such account.');
  const cursor = url.searchParams.get('cursor') ?? '';
  const query = new URLSearchParams({ limit: '50' });
  if (/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) query.set('cursor', cursor);
  const dates = new URLSearchParams();
  for (const name of ['from', 'to'] as const) {
    const value = url.searchParams.get(name) ?? '';
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) dates.set(name, value);
  }
  for (const [name, value] of dates) query.set(name, value);
  const page = await treasurerGet<{ account: LedgerAccount; lines: StatementLine[]; nextCursor: string | null }>(fetch, `/api/ledger/accounts/${params.id}/statement?${query}`, url);
  const appeal = page ? ((await appealNames(fetch, [page.account]))[page.account.code] ?? null) : null;
  return { page, appeal, paged: query.has('cursor'), from: dates.get('from') ?? '', to: dates.get('to') ?? '', dates: dates.toString(), locale: locals.locale };
};
