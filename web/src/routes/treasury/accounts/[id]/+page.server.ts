import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { treasurerGet, type LedgerAccount, type StatementLine } from '$lib/server/treasury';
import { m } from '$lib/paraglide/messages';
import { formatDay, zoneName } from '$lib/format';
import { isLedgerId } from '../../../../../../server/ledger/bigint';
import { day } from '../../../../../../server/ledger/schemas';

// The API's own rule for a day, so the page says on the field what the API would refuse.
const isDay = (value: string) => day.safeParse(value).success;

/**
 * The statement's date range as typed: the days to ask the API for, or what is wrong with each
 * field (not a date; From after To), said on the field in the reader's way of writing a day. A
 * wrong range asks for no postings.
 */
function dateRange(url: URL, locale: string): { from: string; to: string; errors: { from?: string; to?: string } } {
  const from = (url.searchParams.get('from') ?? '').trim().slice(0, 40);
  const to = (url.searchParams.get('to') ?? '').trim().slice(0, 40);
  const errors: { from?: string; to?: string } = {};
  if (from && !isDay(from)) errors.from = m.statement_error_date();
  if (to && !isDay(to)) errors.to = m.statement_error_date();
  if (!errors.from && !errors.to && from && to && from > to) errors.from = m.statement_error_reversed({ to: formatDay(to, locale) });
  return { from, to, errors };
}

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  if (!isLedgerId(params.id)) error(404, 'No such account.');
  const cursor = url.searchParams.get('cursor') ?? '';
  const range = dateRange(url, locals.locale);
  const invalid = Boolean(range.errors.from || range.errors.to);
  // A wrong range still shows the account (one line asked for, none shown) with the fields to correct.
  const query = new URLSearchParams({ limit: invalid ? '1' : '50' });
  const dates = new URLSearchParams();
  if (!invalid) {
    if (/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) query.set('cursor', cursor);
    if (range.from) dates.set('from', range.from);
    if (range.to) dates.set('to', range.to);
  }
  for (const [name, value] of dates) query.set(name, value);
  // The days are the reader's, as the lines' times are shown: UTC until their browser says its zone.
  if (dates.size) query.set('zone', locals.timeZone);
  // A page link the API does not take (edited by hand): the newest page of the same dates instead.
  const newestInstead = (code: string | undefined) => {
    if (code === 'invalid_cursor') redirect(303, `${url.pathname}${dates.size ? `?${dates}` : ''}`);
  };
  const page = await treasurerGet<{ account: LedgerAccount; lines: StatementLine[]; nextCursor: string | null }>(fetch, `/api/ledger/accounts/${params.id}/statement?${query}`, url, newestInstead);
  return {
    page: page && invalid ? { ...page, lines: [], nextCursor: null } : page,
    paged: query.has('cursor'),
    from: range.from,
    to: range.to,
    dateErrors: range.errors,
    dates: dates.toString(),
    zone: zoneName(new Date(), locals.locale, locals.timeZone),
    locale: locals.locale,
  };
};
