import type { Cookies } from '@sveltejs/kit';

// "Update posted, mailed to N donors" is said on the one page the update's redirect leads to. In
// the address (?posted=N) it was said again on every reload, on Back, and to whoever was sent the
// link, as if another update had gone out; in a cookie read once, it is said once, with or
// without JavaScript.
const cookieName = 'update_posted';
/** Long enough for the redirect to be followed on a slow phone; gone by any later visit. */
const cookieAgeSeconds = 60;

const pagePath = (slug: string) => `/manage/appeals/${encodeURIComponent(slug)}`;

/** Remembers, for the next drawing of this appeal's page, how many donors the update was mailed to. */
export function sayPosted(cookies: Cookies, slug: string, emailedTo: number): string {
  cookies.set(cookieName, String(emailedTo), { path: pagePath(slug), maxAge: cookieAgeSeconds, httpOnly: true, sameSite: 'lax' });
  return pagePath(slug);
}

/** How many donors the update just posted was mailed to, once; null when no update was just posted. */
export function takePosted(cookies: Cookies, slug: string): number | null {
  const said = cookies.get(cookieName);
  if (said === undefined) return null;
  cookies.delete(cookieName, { path: pagePath(slug) });
  return /^\d{1,9}$/.test(said) ? Number(said) : null;
}
