/**
 * The reader's time zone, in which pages show dates and times: a treasurer in Osaka reads a refund
 * asked at 05:28 on the 6th, not 20:28 on the 5th. The browser says its zone once (a cookie set by
 * the root layout); until then, and without JavaScript, times are UTC and say so.
 */
export const timeZoneCookie = 'tz';
export const timeZoneCookieMaxAgeSeconds = 60 * 60 * 24 * 365;

/** The zone's own spelling ("asia/tokyo" is "Asia/Tokyo"), for one that isTimeZone accepts. */
export function canonicalTimeZone(zone: string): string {
  return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
}

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

/** The zone a request's cookie says, when it names one this runtime knows; null otherwise. */
export function saidTimeZone(cookies: { get(name: string): string | undefined }): string | null {
  const zone = cookies.get(timeZoneCookie);
  return isTimeZone(zone) ? zone : null;
}

// Until a source is set (a unit test, a module read outside a page): UTC, as a page without it.
let source: () => string = () => 'UTC';

/**
 * Where the zone comes from: on the server each request's, from its cookie (hooks.server.ts); in
 * the browser the one the page was rendered with (the root layout's data), so both agree.
 */
export function readTimeZoneFrom(read: () => string): void {
  source = read;
}

/** The zone of the page being rendered. */
export function readerTimeZone(): string {
  return source();
}

/**
 * The zone to show a donor their own gift's days in: the reader's once their browser has said it
 * (where they are now); until then (no JavaScript, or its first page) the one their browser said
 * when they gave, rather than UTC: a monthly charge at 22:40 UTC on the 5th is on the 6th in Osaka.
 */
export function donorTimeZone(readerSaid: boolean, givenIn: string | null): string {
  return !readerSaid && isTimeZone(givenIn) ? givenIn : readerTimeZone();
}
