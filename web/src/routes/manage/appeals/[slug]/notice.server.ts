import type { Cookies } from '@sveltejs/kit';

// What an action just did ("update posted, mailed to N donors", "published", "closed") is said on the one
// page its redirect leads to. In the address (?posted=N) it was said again on every reload, on
// Back, and to whoever was sent the link, as if it had been done again; in a cookie read once, it
// is said once, with or without JavaScript.
const cookieName = 'appeal_notice';
/** Long enough for the redirect to be followed on a slow phone; gone by any later visit. */
const cookieAgeSeconds = 60;

/** What the appeal's manage page says once, after the action that redirected to it. */
export type Notice = { kind: 'posted'; emailedTo: number } | { kind: 'published' } | { kind: 'closed' };

const pagePath = (slug: string) => `/manage/appeals/${encodeURIComponent(slug)}`;

const written = (notice: Notice) => (notice.kind === 'posted' ? `posted:${notice.emailedTo}` : notice.kind);

function read(said: string): Notice | null {
  if (said === 'published' || said === 'closed') return { kind: said };
  const posted = /^posted:(\d{1,9})$/.exec(said);
  return posted ? { kind: 'posted', emailedTo: Number(posted[1]) } : null;
}

/** Remembers `notice` for the next drawing of this appeal's page; answers that page's path, to redirect to. */
export function sayOnce(cookies: Cookies, slug: string, notice: Notice): string {
  cookies.set(cookieName, written(notice), { path: pagePath(slug), maxAge: cookieAgeSeconds, httpOnly: true, sameSite: 'lax' });
  return pagePath(slug);
}

/** The notice an action left for this appeal's page, once; null when none was. */
export function takeNotice(cookies: Cookies, slug: string): Notice | null {
  const said = cookies.get(cookieName);
  if (said === undefined) return null;
  cookies.delete(cookieName, { path: pagePath(slug) });
  return read(said);
}
