/**
 * The reader's time zone, in which pages show dates and times: a treasurer in Osaka reads a refund
 * asked at 05:28 on the 6th, not 20:28 on the 5th. The browser says its zone once (a cookie set by
 * the root layout); until then, and without JavaScript, times are UTC and say so.
 */
export const timeZoneCookie = 'tz';
export const timeZoneCookieMaxAgeSeconds = 60 * 60 * 24 * 365;

/** An IANA zone this runtime knows ("Asia/Tokyo", "Africa/Algiers"), never anything else. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The zone the browser's cookie names, in the browser: what the server rendered with too. */
function cookieTimeZone(): string {
  if (typeof document === 'undefined') return 'UTC';
  const match = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  const zone = match ? decodeURIComponent(match[1]!) : '';
  return isTimeZone(zone) ? zone : 'UTC';
}

let source: () => string = cookieTimeZone;

/** The server's own source: each request's zone, from its cookie (hooks.server.ts). */
export function readTimeZoneFrom(read: () => string): void {
  source = read;
}

/** The zone of the page being rendered. */
export function readerTimeZone(): string {
  return source();
}
