import type { PageServerLoad } from './$types';
import { safeReturnPath } from '$lib/server/api';
import { isLocale } from '$lib/locale';

// The emailed link lands here, not on the verify endpoint: a mail scanner that fetches the link
// sees a button and spends nothing; the person's click submits the token.
export const load: PageServerLoad = ({ url }) => {
  const token = url.searchParams.get('token') ?? '';
  const error = url.searchParams.get('error');
  const lang = url.searchParams.get('lang');
  return {
    token: /^[A-Za-z0-9_-]{8,200}$/.test(token) ? token : null,
    callbackURL: safeReturnPath(url.searchParams.get('callbackURL'), '/account'),
    error: error ? (/^[A-Za-z_]{1,60}$/.test(error) ? error : 'INVALID_TOKEN') : null,
    // The mail's language, kept on the way back here after a failed sign-in and on to a new link.
    lang: isLocale(lang) ? lang : null,
  };
};
