import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { apiSend, refusedStatus, type ApiError } from '$lib/server/api';
import { readForm, formText } from '$lib/server/form-text';
import { refusalText } from '$lib/server/refusal-text';
import { needsSignIn } from '$lib/server/who-is-asking';
import { sayOnce } from '$lib/server/notice';
import { giftIdPattern } from '$lib/gift-ids';
import { m } from '$lib/paraglide/messages';
import { signInHere, toSignIn } from './sign-in-here.server';

const pauseLengths = new Set(['1', '2', '3']);

/**
 * Pauses a monthly gift for the months chosen (nothing is charged meanwhile), then back to the
 * page, which says so once (Post/Redirect/Get). A refusal comes back on the gift's own field, with
 * what was chosen.
 */
export async function pause({ request, fetch, url, locals, cookies }: RequestEvent) {
  if (!locals.user) needsSignIn(locals, signInHere(url));
  const form = await readForm(request);
  const id = formText(form, 'id', 100);
  const months = formText(form, 'months', 10);
  if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_pause_failed() });
  const refused = (status: number, error: string) => fail(status, { pauseId: id, months, error });
  if (!pauseLengths.has(months)) return refused(400, m.monthly_pause_failed());
  const sent = await apiSend(fetch, 'POST', `/api/me/monthly/${id}/pause`, { months: Number(months), idempotencyKey: formText(form, 'requestKey', 100) });
  if (!sent.ok && sent.status === 401) toSignIn(url);
  if (!sent.ok) return refused(refusedStatus(sent.status), refusal(sent, m.monthly_pause_failed(), locals.user?.email));
  redirect(303, `${sayOnce(cookies, '/account', { kind: 'monthly_paused', giftId: id })}#monthly-${id}`);
}

/** Resumes a paused monthly gift now; said once on the page, a refusal on the gift's own button. */
export async function resume({ request, fetch, url, locals, cookies }: RequestEvent) {
  if (!locals.user) needsSignIn(locals, signInHere(url));
  const form = await readForm(request);
  const id = formText(form, 'id', 100);
  if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_resume_failed() });
  const sent = await apiSend(fetch, 'POST', `/api/me/monthly/${id}/resume`, { idempotencyKey: formText(form, 'requestKey', 100) });
  if (!sent.ok && sent.status === 401) toSignIn(url);
  if (!sent.ok) return fail(refusedStatus(sent.status), { resumeId: id, error: refusal(sent, m.monthly_resume_failed(), locals.user?.email) });
  redirect(303, `${sayOnce(cookies, '/account', { kind: 'monthly_resumed', giftId: id })}#monthly-${id}`);
}

/** Why the API refused, in the reader's language: a gift that no longer renews, a failing one, or the forms' common reasons. */
function refusal(sent: { status: number; error: ApiError }, fallback: string, email?: string): string {
  const { code } = sent.error;
  if (code === 'monthly_gift_failing') return m.monthly_pause_failing();
  if (code === 'monthly_gift_ended' || code === 'monthly_gift_ending' || code === 'monthly_gift_appeal_closed') return m.monthly_pause_ended();
  return refusalText(sent, fallback, email);
}
