import { fail, type RequestEvent } from '@sveltejs/kit';
import { refusedStatus, type ApiError } from '$lib/server/api';
import { readForm, formText } from '$lib/server/form-text';
import { needsSignIn } from '$lib/server/who-is-asking';
import { giftIdPattern } from '$lib/gift-ids';
import { m } from '$lib/paraglide/messages';
import { monthlyRefusal, sendGiftChange } from './gift-change.server';
import { signInHere } from './sign-in-here.server';

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
  const body = { months: Number(months), idempotencyKey: formText(form, 'requestKey', 100) };
  const sent = await sendGiftChange({ fetch, url, cookies }, { id, change: 'pause', body, notice: 'monthly_paused', anchor: `monthly-${id}` });
  return refused(refusedStatus(sent.status), refusal(sent, m.monthly_pause_failed(), locals.user?.email));
}

/** Resumes a paused monthly gift now; said once on the page, a refusal on the gift's own button. */
export async function resume({ request, fetch, url, locals, cookies }: RequestEvent) {
  if (!locals.user) needsSignIn(locals, signInHere(url));
  const form = await readForm(request);
  const id = formText(form, 'id', 100);
  if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_resume_failed() });
  const body = { idempotencyKey: formText(form, 'requestKey', 100) };
  const sent = await sendGiftChange({ fetch, url, cookies }, { id, change: 'resume', body, notice: 'monthly_resumed', anchor: `monthly-${id}` });
  return fail(refusedStatus(sent.status), { resumeId: id, error: refusal(sent, m.monthly_resume_failed(), locals.user?.email) });
}

/** Why the API refused a pause or a resume, in the reader's language. */
const refusal = (sent: { status: number; error: ApiError }, fallback: string, email?: string) => monthlyRefusal(sent, { failing: m.monthly_pause_failing(), ended: m.monthly_pause_ended(), fallback }, email);
