import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { isLocale, localeCookie, localeCookieMaxAgeSeconds } from '$lib/locale';
import { apiSend } from '$lib/server/api';
import { readForm } from '$lib/server/form-text';

/**
 * Only a path on this site: never "//host" or "/\host", which browsers treat as another origin.
 * Without a link's own language (?lang=), which would otherwise win over the choice just made.
 */
function safeReturnPath(value: FormDataEntryValue | null): string {
  const path = typeof value === 'string' ? value : '';
  if (!/^\/(?![/\\])[^\s]{0,500}$/.test(path)) return '/';
  const back = new URL(path, 'http://here');
  back.searchParams.delete(localeCookie);
  const cleaned = back.pathname + back.search;
  // Parsing resolves dot segments ("/.//host" is "//host"): checked again after it.
  return /^\/(?![/\\])/.test(cleaned) ? cleaned : '/';
}

// The language switcher is a plain form, so it works without JavaScript: remember, then go back.
export const POST: RequestHandler = async ({ request, cookies, locals, fetch }) => {
  const form = await readForm(request);
  const locale = form.get('lang');
  if (!isLocale(locale)) error(400, 'Unknown language.');
  cookies.set(localeCookie, locale, { path: '/', maxAge: localeCookieMaxAgeSeconds, sameSite: 'lax', httpOnly: false });
  // A signed-in person's choice is theirs everywhere: their mails, and their pages on other devices.
  // Not kept (a session just ended, the API down) is no reason to refuse the page its language.
  if (locals.user && locals.user.locale !== locale) await apiSend(fetch, 'PUT', '/api/me/language', { locale }).catch(() => undefined);
  redirect(303, safeReturnPath(form.get('returnTo')));
};
