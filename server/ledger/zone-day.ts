import { dateTimeFormat } from '../../web/src/lib/intl-cache';

const dayMs = 86_400_000;
const hourMs = 3_600_000;

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
 * 15:00 UTC on the 6th. Where the clocks fall back across midnight (Santiago in April, Casey in
 * March 2023 by three hours), the day starts at its first midnight; where they jump over it
 * (Santiago in September), at the first moment it has, 01:00.
 */
export function dayStartIn(day: string, timeZone: string): Date {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  // The offsets in force from 14 hours before that midnight in UTC to 12 after: every instant
  // whose clock in the zone reads that midnight lies between, and a zone changes its clocks at
  // most once in a day and a bit.
  const offsetAt = (atMs: number) => wallClockMs(atMs, timeZone) - atMs;
  const guesses = [...new Set([midnightUtc - 14 * hourMs, midnightUtc, midnightUtc + 12 * hourMs].map(offsetAt))].map((offset) => midnightUtc - offset).sort((a, b) => a - b);
  const midnight = guesses.find((t) => wallClockMs(t, timeZone) === midnightUtc);
  if (midnight !== undefined) return new Date(midnight);
  // No midnight that day (the clocks jumped over it): the earliest guess that falls on the day.
  return new Date(guesses.find((t) => dayOfMs(t, timeZone) === midnightUtc) ?? guesses.at(-1)!);
}

/** The first moment of the day after `day` in `timeZone`: where a range through `day` ends. */
export function dayEndIn(day: string, timeZone: string): Date {
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + dayMs).toISOString().slice(0, 10);
  return dayStartIn(next, timeZone);
}
