import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { isLocale, localeCookie } from '$lib/locale';

// A year: the choice is a preference, not a session.
const cookieMaxAgeSeconds = 365 * 24 * 3600;

/** Only a path on this site: never "//host" or "/\host", which browsers treat as another origin. */
function safeReturnPath(value: FormDataEntryValue | null): string {
  const path = typeof value === 'string' ? value : '';
  return /^\/(?![/\\])[^\s]{0,500}$/.test(path) ? path : '/';
}

// The language switcher is a plain form, so it works without JavaScript: remember, then go back.
export const POST: RequestHandler = async ({ request, cookies }) => {
  const form = await request.formData();
  const locale = form.get('lang');
  if (!isLocale(locale)) error(400, 'Unknown language.');
  cookies.set(localeCookie, locale, { path: '/', maxAge: cookieMaxAgeSeconds, sameSite: 'lax', httpOnly: false });
  redirect(303, safeReturnPath(form.get('returnTo')));
};
