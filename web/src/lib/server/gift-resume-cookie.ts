import type { Cookies } from '@sveltejs/kit';

// Without JavaScript nothing in the tab keeps what the donor typed while she is on Checkout. The
// browser that started the gift keeps the key to it instead (the API answers the fields to that key
// alone): in an HttpOnly cookie, sent only to this appeal's pages, gone when the key stops working.
const cookieName = 'gift_resume';
const keyPattern = /^[A-Za-z0-9_-]{43}$/;

const appealPath = (slug: string) => `/appeals/${encodeURIComponent(slug)}`;

/** Remembers, for the page Checkout's Cancel leads back to, the key to the gift just started. */
export function keepResumeKey(cookies: Cookies, slug: string, resume: { key: string; expiresAt: string }): void {
  // Secure except on http://localhost (SvelteKit's default), so never sent in the clear in production.
  cookies.set(cookieName, resume.key, { path: appealPath(slug), expires: new Date(resume.expiresAt), httpOnly: true, sameSite: 'lax' });
}

/** The key this browser holds for its latest gift to this appeal, if any. */
export function resumeKeyOf(cookies: Cookies): string | undefined {
  const key = cookies.get(cookieName);
  return key !== undefined && keyPattern.test(key) ? key : undefined;
}

/** Once a gift is paid there is no form to fill again: the key goes. */
export function forgetResumeKey(cookies: Cookies, slug: string): void {
  if (cookies.get(cookieName) !== undefined) cookies.delete(cookieName, { path: appealPath(slug) });
}
