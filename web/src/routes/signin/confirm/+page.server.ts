import type { PageServerLoad } from './$types';
import { apiSend, safeReturnPath } from '$lib/server/api';
import { isLocale } from '$lib/locale';

const tokenOf = (v: string | null) => (v && /^[A-Za-z0-9_-]{8,200}$/.test(v) ? v : null);

// The emailed link lands here, not on the verify endpoint: a mail scanner that fetches the link
// sees a button and spends nothing; the person's click submits the token. The page names the
// address the link signs in as (read without spending the token or giving it more time), so that
// a link someone else asked for, planted in a page or a message, does not sign her in as him
// unawares. A link that would sign no one in says so at once.
export const load: PageServerLoad = async ({ url, fetch }) => {
  const token = tokenOf(url.searchParams.get('token'));
  const error = url.searchParams.get('error');
  const lang = url.searchParams.get('lang');
  const page = {
    token,
    callbackURL: safeReturnPath(url.searchParams.get('callbackURL'), '/account'),
    error: error ? (/^[A-Za-z_]{1,60}$/.test(error) ? error : 'INVALID_TOKEN') : null,
    // The mail's language, kept on the way back here after a failed sign-in and on to a new link.
    lang: isLocale(lang) ? lang : null,
    email: null as string | null,
  };
  if (!token || page.error) return page;
  const read = await apiSend<{ email: string }>(fetch, 'POST', '/api/sign-in-links/preview', { token });
  if (read.ok) return { ...page, email: read.body.email };
  // Used, expired or never sent: what pressing the button would have said, said before it.
  return { ...page, error: read.status === 404 ? 'INVALID_TOKEN' : 'UNREAD' };
};
