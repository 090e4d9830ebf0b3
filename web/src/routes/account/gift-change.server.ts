import { redirect, type RequestEvent } from '@sveltejs/kit';
import { apiSend, type ApiError } from '$lib/server/api';
import { refusalText } from '$lib/server/refusal-text';
import { m } from '$lib/paraglide/messages';
import { sayOnce, type GiftNoticeKind } from '$lib/server/notice';
import { toSignIn } from './sign-in-here.server';

/*
 * What the donor's changes of a monthly gift on /account share (its amount, a pause, a resume):
 * one call to the API under the page's key, then back to the page, which says it once.
 */

/**
 * Sends one change of gift `id` to `/api/me/monthly/:id/<change>`. Done: back to the page at the
 * gift (Post/Redirect/Get: a reload sends nothing again, nor says it was done). Signed out
 * meanwhile: to sign-in. Otherwise answers the API's refusal.
 */
export async function sendGiftChange(
  { fetch, url, cookies }: Pick<RequestEvent, 'fetch' | 'url' | 'cookies'>,
  c: { id: string; change: 'amount' | 'pause' | 'resume'; body: Record<string, unknown>; notice: GiftNoticeKind; anchor: string },
): Promise<{ status: number; error: ApiError }> {
  const sent = await apiSend(fetch, 'POST', `/api/me/monthly/${c.id}/${c.change}`, c.body);
  if (!sent.ok && sent.status === 401) toSignIn(url);
  if (!sent.ok) return sent;
  redirect(303, `${sayOnce(cookies, '/account', { kind: c.notice, giftId: c.id })}#${c.anchor}`);
}

/** Why the API refused a change of a monthly gift, in the reader's language: a failing gift, one whose payment is being made, one that no longer renews, or the forms' common reasons. */
export function monthlyRefusal(sent: { status: number; error: ApiError }, words: { failing: string; ended: string; fallback: string }, email?: string): string {
  const { code } = sent.error;
  if (code === 'monthly_gift_failing') return words.failing;
  // A renewal Stripe drafted is charged within the hour: nothing changed now would reach it.
  if (code === 'monthly_gift_renewal_under_way') return m.monthly_renewal_under_way();
  if (code === 'monthly_gift_ended' || code === 'monthly_gift_ending' || code === 'monthly_gift_appeal_closed') return words.ended;
  return refusalText(sent, words.fallback, email);
}
