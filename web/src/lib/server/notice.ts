import type { Cookies } from '@sveltejs/kit';
import { giftIdPattern } from '$lib/gift-ids';

// What an action just did ("update posted, mailed to N donors", "published", "amount changed") is
// said on the one page its redirect leads to. In the address (?posted=N) it was said again on every
// reload, on Back, and to whoever was sent the link, as if it had been done again; in a cookie read
// once, it is said once, with or without JavaScript. The cookie belongs to that page's path, which
// also holds the page's data (…/__data.json) that a scripted page loads after the redirect.
const cookieName = 'page_notice';
/** Long enough for the redirect to be followed on a slow phone; gone by any later visit. */
const cookieAgeSeconds = 60;

/** What a page says once, after the action that redirected to it. */
export type Notice =
  | { kind: 'posted'; emailedTo: number }
  | { kind: 'published' }
  | { kind: 'closed' }
  | { kind: GiftNoticeKind; giftId: string };

/** What was just done to one of the donor's monthly gifts, named by its id. */
const giftNoticeKinds = ['amount_changed', 'monthly_paused', 'monthly_resumed', 'monthly_canceled', 'monthly_canceled_under_way'] as const;
export type GiftNoticeKind = (typeof giftNoticeKinds)[number];

function written(notice: Notice): string {
  if (notice.kind === 'posted') return `posted:${notice.emailedTo}`;
  if ('giftId' in notice) return `${notice.kind}:${notice.giftId}`;
  return notice.kind;
}

// The browser sends back whatever it likes: only what this module writes is read.
function read(said: string): Notice | null {
  if (said === 'published' || said === 'closed') return { kind: said };
  const posted = /^posted:(\d{1,9})$/.exec(said);
  if (posted) return { kind: 'posted', emailedTo: Number(posted[1]) };
  const kind = giftNoticeKinds.find((k) => said.startsWith(`${k}:`));
  const giftId = kind ? said.slice(kind.length + 1) : '';
  return kind && giftIdPattern.test(giftId) ? { kind, giftId } : null;
}

/** Remembers `notice` for the next drawing of the page at `path`; answers `path`, to redirect to. */
export function sayOnce(cookies: Cookies, path: string, notice: Notice): string {
  cookies.set(cookieName, written(notice), { path, maxAge: cookieAgeSeconds, httpOnly: true, sameSite: 'lax' });
  return path;
}

/** The notice an action left for the page at `path`, once; null when none was. */
export function takeNotice(cookies: Cookies, path: string): Notice | null {
  const said = cookies.get(cookieName);
  if (said === undefined) return null;
  cookies.delete(cookieName, { path });
  return read(said);
}
