import type { Cookies } from '@sveltejs/kit';

// better-auth's cookies: `sf.session_token` (and `__Secure-sf.…` over https). Only these go to the API.
const sessionCookieName = /^(__Secure-)?sf\.[a-z_]{1,40}$/;

/**
 * The Cookie header for an API call: the browser's session cookies, nothing else, byte for byte
 * as the browser sent them (better-auth signs the value; a decode/encode round trip could alter it).
 */
export function sessionCookieHeader(browserCookieHeader: string | null): string | null {
  if (!browserCookieHeader) return null;
  const picked = browserCookieHeader
    .split(';')
    .map((p) => p.trim())
    .filter((p) => sessionCookieName.test(p.slice(0, Math.max(0, p.indexOf('=')))));
  return picked.length ? picked.slice(0, 10).join('; ') : null;
}

type SetOptions = Parameters<Cookies['set']>[2];

/** One Set-Cookie line as SvelteKit's cookie options; null for a cookie that is not a session one. */
export function parseSetCookie(line: string): { name: string; value: string; options: SetOptions } | null {
  const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  if (eq < 1) return null;
  const name = pair.slice(0, eq);
  if (!sessionCookieName.test(name)) return null;
  const value = pair.slice(eq + 1);
  // The value goes back exactly as the API wrote it.
  const options: SetOptions = { path: '/', httpOnly: false, secure: false, sameSite: 'lax', encode: (v: string) => v };
  for (const attr of attrs) {
    const [k = '', v = ''] = attr.split('=');
    const key = k.toLowerCase();
    if (key === 'path') options.path = v || '/';
    else if (key === 'max-age' && /^-?\d+$/.test(v)) options.maxAge = Number(v);
    else if (key === 'expires' && !Number.isNaN(Date.parse(v))) options.expires = new Date(v);
    else if (key === 'httponly') options.httpOnly = true;
    else if (key === 'secure') options.secure = true;
    else if (key === 'samesite' && /^(lax|strict|none)$/i.test(v)) options.sameSite = v.toLowerCase() as 'lax';
  }
  return { name, value, options };
}

/** Hands the API's session cookies (set, refreshed or cleared) on to the browser. */
export function applySetCookies(cookies: Cookies, lines: string[]): void {
  for (const line of lines) {
    const c = parseSetCookie(line);
    if (c) cookies.set(c.name, c.value, c.options);
  }
}

/**
 * Forgets this browser's session cookies, whatever the API said of the session: signing out must
 * sign the browser out even when the API could not end the session (not answering, say).
 */
export function forgetSessionCookies(cookies: Cookies, url: URL): void {
  // Secure only over https, as better-auth set them: a browser ignores a Secure cookie sent over http.
  for (const { name } of cookies.getAll()) if (sessionCookieName.test(name)) cookies.delete(name, { path: '/', secure: url.protocol === 'https:' });
}
