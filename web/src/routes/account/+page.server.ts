import { fail, redirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { apiGetSignedIn, apiSend, refusedStatus } from '$lib/server/api';
import { signInHere, toSignIn } from './sign-in-here.server';
import { refusalText } from '$lib/server/refusal-text';
import { needsSignIn } from '$lib/server/who-is-asking';
import type { MyGift, MyMonthly } from '$lib/server/my-giving';
import { m } from '$lib/paraglide/messages';
import { giftIdPattern } from '$lib/gift-ids';
import { readForm } from '$lib/server/form-text';
import { readCardSavedMark, stampedCardSavedPath } from '$lib/card-saved';
import { changeAmount } from './change-amount.server';
import { pause, resume } from './pause.server';
import { sayOnce, takeNotice } from '$lib/server/notice';

export const load: PageServerLoad = async ({ fetch, url, locals, cookies }) => {
  // Appeals named as their pages name them in this page's language.
  const [{ donations }, { monthly }] = await Promise.all([
    apiGetSignedIn<{ donations: MyGift[] }>(fetch, `/api/me/donations?limit=200&lang=${locals.locale}`, url),
    apiGetSignedIn<{ monthly: MyMonthly[] }>(fetch, `/api/me/monthly?lang=${locals.locale}`, url),
  ]);
  // ?cancel=<id> is the confirm step: a plain link shows it, so it works without JavaScript.
  const cancelId = url.searchParams.get('cancel');
  const confirming = monthly.find((g) => g.id === cancelId && !g.canceledAt) ?? null;
  // Back from Stripe's portal with a card saved: stamped once with what the page saw then. Its
  // "check again" link is this address without the #fragment, which a browser would only scroll to.
  const nowMs = Date.now();
  const cardSaved = readCardSavedMark(url.searchParams, nowMs);
  if (cardSaved && 'unstamped' in cardSaved) {
    const gift = monthly.find((g) => g.id === cardSaved.unstamped);
    redirect(303, stampedCardSavedPath(cardSaved.unstamped, nowMs, gift?.renewalFailedAt ?? null));
  }
  // Back from a change of amount (Post/Redirect/Get), said once: the gift as it renews now.
  const notice = takeNotice(cookies, '/account');
  const amountChanged = (notice?.kind === 'amount_changed' && monthly.find((g) => g.id === notice.giftId)) || null;
  // Back from a pause or a resume, likewise.
  const pausedOrResumed = notice?.kind === 'monthly_paused' || notice?.kind === 'monthly_resumed' ? notice.kind : null;
  // Back from ending a gift, likewise; whether this month's payment was already being made.
  const canceled = notice?.kind === 'monthly_canceled' || notice?.kind === 'monthly_canceled_under_way' ? { renewalUnderWay: notice.kind === 'monthly_canceled_under_way' } : null;
  return {
    donations,
    monthly,
    confirming,
    amountChanged,
    pausedOrResumed,
    canceled,
    // The key of a change (amount, pause, resume) made from this page: a form sent twice changes once.
    requestKey: randomUUID(),
    cardSaved,
    nowMs,
    checkAgain: `${url.pathname}${url.search}`,
    locale: locals.locale,
    email: locals.user?.email ?? '',
  };
};


export const actions: Actions = {
  cancel: async ({ request, fetch, url, locals, cookies }) => {
    if (!locals.user) needsSignIn(locals, signInHere(url));
    const id = String((await readForm(request)).get('id') ?? '');
    if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_cancel_failed() });
    const sent = await apiSend<{ canceledAt: string; renewalUnderWay: boolean }>(fetch, 'POST', `/api/me/monthly/${id}/cancel`, {});
    if (!sent.ok && sent.status === 401) toSignIn(url);
    if (!sent.ok) return fail(refusedStatus(sent.status), { error: refusalText(sent, m.monthly_cancel_failed(), locals.user?.email) });
    // Post/Redirect/Get: a reload of the page it lands on sends nothing again, nor says it ended.
    // Stripe was already charging this month's payment as it ended: the notice must not say nothing more is charged.
    redirect(303, `${sayOnce(cookies, '/account', { kind: sent.body.renewalUnderWay === true ? 'monthly_canceled_under_way' : 'monthly_canceled', giftId: id })}#monthly-title`);
  },
  changeAmount,
  pause,
  resume,
  /**
   * Opens Stripe's customer portal for this gift, to type a new card (Stripe then pays what is past
   * due); the API checks the gift is the signed-in donor's. The portal sends the donor back here.
   */
  updateCard: async ({ request, fetch, url, locals }) => {
    if (!locals.user) needsSignIn(locals, signInHere(url));
    const id = String((await readForm(request)).get('id') ?? '');
    if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_update_card_failed() });
    const sent = await apiSend<{ url: string }>(fetch, 'POST', `/api/me/monthly/${id}/card-portal`, {});
    if (!sent.ok && sent.status === 401) toSignIn(url);
    // Ended meanwhile (the last try failed, or another tab): nothing to update, and trying again will not help.
    if (!sent.ok && sent.error.code === 'monthly_gift_ended') return fail(409, { error: m.monthly_update_card_ended() });
    if (!sent.ok) return fail(refusedStatus(sent.status), { error: refusalText(sent, m.monthly_update_card_failed(), locals.user?.email) });
    redirect(303, sent.body.url);
  },
};
