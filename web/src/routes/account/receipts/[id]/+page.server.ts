import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { apiGetSignedIn, apiSend, refusedStatus } from '$lib/server/api';
import type { MyGift } from '$lib/server/my-giving';
import { readForm, formText } from '$lib/server/form-text';
import { refusalText } from '$lib/server/refusal-text';
import { needsSignIn } from '$lib/server/who-is-asking';
import { m } from '$lib/paraglide/messages';
import { z } from 'zod';
import { pageHere, signInHere, toSignIn } from '../../sign-in-here.server';

// A receipt is one of the person's own gifts, looked up by its id however old it is: the API
// answers another's as missing, so no id reveals another's.
// The API's own rule for a gift's id (RFC 9562's version and variant digits): an id it would refuse
// as malformed (400) is as missing here as another's gift.
const giftId = z.uuid();

export const load: PageServerLoad = async ({ fetch, url, params, locals }) => {
  if (!giftId.safeParse(params.id).success) {
    // Signed out, the page asks to sign in first, as it does for any id.
    if (!locals.user) toSignIn(url);
    error(404, 'No such gift of yours.');
  }
  const { donation: gift } = await apiGetSignedIn<{ donation: MyGift }>(fetch, `/api/me/donations/${params.id}?lang=${locals.locale}`, url);
  // The receipt names the donor as the gift did, like the mailed receipt: the account's own name
  // may differ (or be a placeholder), and a gift given under another name is still theirs.
  return { gift, locale: locals.locale, donor: { name: gift.donor.name ?? '', email: gift.donor.email }, refundAsked: url.searchParams.has('refund_asked') };
};

export const actions: Actions = {
  /**
   * Asks the appeal's treasurers to give this payment back (only they can refund), then back to
   * the receipt, which says the request went (Post/Redirect/Get). Asking twice mails nobody twice.
   */
  askRefund: async ({ request, fetch, url, params, locals }) => {
    if (!locals.user) needsSignIn(locals, signInHere(url));
    const form = await readForm(request);
    const reason = formText(form, 'reason', 2000);
    const sent = await apiSend(fetch, 'POST', `/api/me/donations/${encodeURIComponent(params.id)}/refund-request`, { reason });
    if (sent.ok) redirect(303, `${pageHere(url).pathname}?refund_asked=1#refund-ask-title`);
    if (sent.status === 401) toSignIn(url);
    const why =
      sent.error.code === 'refund_request.not_refundable'
        ? m.refund_ask_not_refundable()
        : sent.status === 400 && reason.length > 500
          ? m.refund_ask_too_long()
          : refusalText(sent, m.refund_ask_failed(), locals.user?.email);
    return fail(refusedStatus(sent.status), { reason, error: why });
  },
};
