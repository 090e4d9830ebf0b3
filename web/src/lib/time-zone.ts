/**
 * The reader's time zone, in which pages show dates and times: a treasurer in Osaka reads a refund
 * asked at 05:28 on the 6th, not 20:28 on the 5th. The browser says its zone once (a cookie set by
 * the root layout); until then, and without JavaScript, dates and times are UTC and say so.
 */
export const timeZoneCookie = 'tz';
export const timeZoneCookieMaxAgeSeconds = 60 * 60 * 24 * 365;

/** The zone's own spelling ("asia/tokyo" is "Asia/Tokyo"), for one that isTimeZone accepts. */
export function canonicalTimeZone(zone: string): string {
  return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
}

// Asking Intl whether it knows a zone builds a formatter (about 50 µs): the poster asks for every
// receipt to a donor who said a zone, a page for every request (its cookie). Zones come from
// cookies and forms, so the answers kept are bounded: past the size it starts again.
const zonesAskedMax = 500;
const zonesAsked = new Map<string, boolean>();

/** An IANA zone this runtime knows ("Asia/Tokyo", "Africa/Algiers"), never anything else. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(value)) return false;
  let known = zonesAsked.get(value);
  if (known === undefined) {
    if (zonesAsked.size >= zonesAskedMax) zonesAsked.clear();
    zonesAsked.set(value, (known = knownToIntl(value)));
  }
  return known;
}

function knownToIntl(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
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

/** What a page knows of its reader's zone: the zone, and whether their browser said it. */
export interface ReaderZone {
  timeZone: string;
  said: boolean;
}

/**
 * A zone to show a date in, and whether the date must name it: a reader who sees "6 December" must
 * know whose calendar that is, and only the zone their own browser said goes without saying.
 */
export interface DateZone {
  timeZone: string;
  named: boolean;
}

// Until a source is set (a unit test, a module read outside a page): UTC, as a page without it.
let source: () => ReaderZone = () => ({ timeZone: 'UTC', said: false });

/**
 * Where the zone comes from: on the server each request's, from its cookie (hooks.server.ts); in
 * the browser the one the page was rendered with (the root layout's data), so both agree.
 */
export function readTimeZoneFrom(read: () => ReaderZone): void {
  source = read;
}

/** The zone of the page being rendered. */
export function readerTimeZone(): string {
  return source().timeZone;
}

/** The reader's zone to date in: named on the page until their browser has said it (UTC till then). */
export function readerDateZone(): DateZone {
  const { timeZone, said } = source();
  return { timeZone, named: !said };
}

/**
 * The zone to show a donor their own gift's days in: the reader's once their browser has said it
 * (where they are now); until then (no JavaScript, or its first page) the one their browser said
 * when they gave, rather than UTC: a monthly charge at 22:40 UTC on the 5th is on the 6th in Osaka.
 * With neither, UTC, named.
 */
export function donorDateZone(givenIn: string | null): DateZone {
  const reader = source();
  if (!reader.said && isTimeZone(givenIn)) return { timeZone: givenIn, named: false };
  return readerDateZone();
}
