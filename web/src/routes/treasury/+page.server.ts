import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiSend, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { m } from '$lib/paraglide/messages';
import { isLedgerId } from '../../../../server/ledger/bigint';
import { stripeEventId } from '../../../../server/payments/schemas';
import { treasurerGet, type DisputeRow, type LedgerAccount, type StripeEventRow } from '$lib/server/treasury';
import { giftIdPattern, stripeGiftIdPattern } from '$lib/gift-ids';
import { readForm } from '$lib/server/form-text';

const types = ['asset', 'liability', 'income', 'expense', 'equity'] as const;
const pageSize = 50;
/** The open disputes shown here, most urgent first; /treasury/disputes has them all. */
const disputesShown = 25;

/** An id the form could have asked for (ours or Stripe's), to say and keep in the field; else null. */
const knownShape = (id: string | null) => (id !== null && (giftIdPattern.test(id) || stripeGiftIdPattern.test(id)) ? id : null);

/** Parked events listed at once, the newest first: the page says when more wait behind them. */
const parkedShown = 50;

export const load: PageServerLoad = async ({ fetch, url, locals }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const currency = (url.searchParams.get('currency') ?? '').trim().toUpperCase();
  const type = url.searchParams.get('type') ?? '';
  const after = url.searchParams.get('after') ?? '';
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (/^[A-Z]{3}$/.test(currency)) query.set('currency', currency);
  if ((types as readonly string[]).includes(type)) query.set('type', type);
  if (isLedgerId(after)) query.set('after', after);
  const [accounts, events, disputes] = await Promise.all([
    treasurerGet<{ accounts: LedgerAccount[]; nextAfter: string | null }>(fetch, `/api/ledger/accounts?${query}`, url),
    treasurerGet<{ events: StripeEventRow[]; more: boolean }>(fetch, `/api/stripe/events?status=parked&limit=${parkedShown}`, url),
    treasurerGet<{ disputes: DisputeRow[]; total: number }>(fetch, `/api/disputes?state=open&limit=${disputesShown}`, url),
  ]);
  // The page's own filters, kept by the retry form's action (a form without JavaScript loses them).
  const keep = new URLSearchParams([...query].filter(([k]) => k !== 'limit')).toString();
  const retried = url.searchParams.get('retried') ?? '';
  return {
    retried: stripeEventId.safeParse(retried).success ? retried : null,
    allowed: accounts !== null,
    keep,
    accounts: accounts?.accounts ?? [],
    nextAfter: accounts?.nextAfter ?? null,
    // Null when the viewer may not see them (a local's treasurer): the page then does not say none are parked.
    parked: events?.events ?? null,
    parkedMore: events?.more ?? false,
    disputes: disputes?.disputes ?? [],
    disputesTotal: disputes?.total ?? 0,
    // Due dates are shown as "in 3 days" from the moment the page was made, on the server and in the browser alike.
    now: new Date().toISOString(),
    filters: { currency: query.get('currency') ?? '', type: query.get('type') ?? '', paged: query.has('after') },
    types,
    notFound: url.searchParams.has('notfound'),
    // A well-formed id that names no gift: said here, with the id kept in the field to correct.
    unknownGift: knownShape(url.searchParams.get('nogift')),
    locale: locals.locale,
  };
};

export const actions: Actions = {
  // A parked event back in the poster's queue; the page then loads again without it, by a redirect
  // (post, then get), so that reloading it does not send the retry again.
  retry: async ({ request, fetch, url, locals }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const event = String((await readForm(request)).get('event') ?? '');
    if (!stripeEventId.safeParse(event).success) return fail(400, { retryError: m.treasury_retry_failed() });
    const sent = await apiSend(fetch, 'POST', `/api/stripe/events/${event}/retry`);
    if (!sent.ok) {
      const retryError =
        sent.error.code === 'stripe_event.not_parked' || sent.error.code === 'stripe_event.not_found'
          ? m.treasury_retry_not_parked()
          : sent.error.code === 'auth.forbidden'
            ? m.error_forbidden()
            : m.treasury_retry_failed();
      return fail(sent.status === 409 ? 409 : 400, { retryError });
    }
    const kept = [...url.searchParams].filter(([k]) => k === 'currency' || k === 'type' || k === 'after');
    redirect(303, `/treasury?${new URLSearchParams([...kept, ['retried', event]])}`);
  },
};
