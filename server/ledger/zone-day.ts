import { dateTimeFormat } from '../../web/src/lib/intl-cache';

const dayMs = 86_400_000;

/** The wall-clock time in `timeZone` at `atMs`, read as if it were UTC (ms): its offset is the difference. */
function wallClockMs(atMs: number, timeZone: string): number {
  const parts = dateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(atMs));
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  // Years before 1 AD never reach here: the days a statement takes start in 1970.
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
}

/** The calendar day (as ms at its UTC midnight) that `atMs` falls on in `timeZone`. */
const dayOfMs = (atMs: number, timeZone: string) => Math.floor(wallClockMs(atMs, timeZone) / dayMs) * dayMs;

/**
 * The first moment of a calendar day (2026-12-07) in an IANA time zone: Tokyo's 7th starts at
 * 15:00 UTC on the 6th. Where the clocks jump over midnight (Santiago in September), the day
 * starts at the first moment it has, 01:00; where they fall back across it, at its first midnight.
 */
export function dayStartIn(day: string, timeZone: string): Date {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  const first = midnightUtc - (wallClockMs(midnightUtc, timeZone) - midnightUtc);
  // The offset at that guess may differ from the one at UTC midnight (a change of clocks between them).
  const second = midnightUtc - (wallClockMs(first, timeZone) - first);
  const onTheDay = [first, second].filter((t) => dayOfMs(t, timeZone) === midnightUtc).sort((a, b) => a - b);
  return new Date(onTheDay[0] ?? Math.max(first, second));
}

/** The first moment of the day after `day` in `timeZone`: where a range through `day` ends. */
export function dayEndIn(day: string, timeZone: string): Date {
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + dayMs).toISOString().slice(0, 10);
  return dayStartIn(next, timeZone);
}
