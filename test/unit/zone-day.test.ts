import { describe, expect, it } from 'vitest';
import { dayEndIn, dayStartIn } from '../../server/ledger/zone-day';

// A statement's From and To are the reader's days: where each starts and ends in UTC.
describe('a calendar day in a time zone', () => {
  it.each([
    ['2026-12-07', 'UTC', '2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z'],
    ['2026-12-07', 'Asia/Tokyo', '2026-12-06T15:00:00.000Z', '2026-12-07T15:00:00.000Z'],
    ['2026-12-07', 'Pacific/Pago_Pago', '2026-12-07T11:00:00.000Z', '2026-12-08T11:00:00.000Z'],
    ['2026-12-07', 'Pacific/Kiritimati', '2026-12-06T10:00:00.000Z', '2026-12-07T10:00:00.000Z'],
    // Clocks forward at midnight: the day starts at 01:00, and is 23 hours long.
    ['2024-09-08', 'America/Santiago', '2024-09-08T04:00:00.000Z', '2024-09-09T03:00:00.000Z'],
    // Clocks back at midnight (to 23:00 the day before): the 7th starts at its only midnight.
    ['2024-04-07', 'America/Santiago', '2024-04-07T04:00:00.000Z', '2024-04-08T04:00:00.000Z'],
    ['2026-03-29', 'Europe/London', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z'],
    ['2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
    // Clocks back by hours a little after midnight: the day's first midnight, three hours before its second.
    ['2023-03-09', 'Antarctica/Casey', '2023-03-08T13:00:00.000Z', '2023-03-09T16:00:00.000Z'],
    ['2023-12-18', 'Antarctica/Vostok', '2023-12-17T17:00:00.000Z', '2023-12-18T19:00:00.000Z'],
  ])('%s in %s runs from %s to %s', (day, zone, start, end) => {
    expect(dayStartIn(day, zone).toISOString()).toBe(start);
    expect(dayEndIn(day, zone).toISOString()).toBe(end);
  });
});
