import { describe, expect, it } from 'vitest';
import { cardChargeWaitMs, cardSavedState, readCardSavedMark, stampedCardSavedPath } from '../../web/src/lib/card-saved';

const id = '0b6a1f0e-8d3c-4a57-9a43-2f1d2c3b4a5e';
const failedAt = '2026-06-05T12:00:00.000Z';
const now = 1_800_000_000_000;
const params = (path: string) => new URL(path, 'http://x').searchParams;

// Back from Stripe's portal, /account says what it knows: a card saved and a renewal being charged
// until the API shows it paid, never "paid" before, and not again on a later visit.
describe('the card-saved mark on /account', () => {
  it('is stamped once, then read back with the failure seen then', () => {
    expect(readCardSavedMark(params(`/account?card_saved=${id}`), now)).toEqual({ unstamped: id });
    const stamped = stampedCardSavedPath(id, now, failedAt);
    expect(stamped.endsWith('#monthly-title')).toBe(true);
    expect(readCardSavedMark(params(stamped), now + 1000)).toEqual({ giftId: id, atMs: now, failedAt });
  });

  it('says nothing for a bad id, a stamp from the future, or an old one', () => {
    expect(readCardSavedMark(params('/account?card_saved=nope'), now)).toBeNull();
    expect(readCardSavedMark(params(`/account?card_saved=${id}&at=${now + 1}`), now)).toBeNull();
    expect(readCardSavedMark(params(`/account?card_saved=${id}&at=${now - 600_000}`), now)).toBeNull();
    expect(readCardSavedMark(params('/account'), now)).toBeNull();
  });

  it('charging while the same failure is unpaid, saved once the API shows none, else as the API has it', () => {
    const mark = { giftId: id, atMs: now, failedAt };
    const gift = { id, canceledAt: null, renewalFailedAt: failedAt };
    expect(cardSavedState(mark, gift, now + 1000)).toBe('charging');
    expect(cardSavedState(mark, { ...gift, renewalFailedAt: null }, now + 1000)).toBe('saved');
    // The new card failed too (a newer failure), or Stripe's word is long overdue: the failure shows.
    expect(cardSavedState(mark, { ...gift, renewalFailedAt: '2026-06-08T12:00:00.000Z' }, now + 1000)).toBeNull();
    expect(cardSavedState(mark, gift, now + cardChargeWaitMs)).toBeNull();
    // Another gift, or one ended meanwhile, is not spoken of.
    expect(cardSavedState(mark, { ...gift, id: '1b6a1f0e-8d3c-4a57-9a43-2f1d2c3b4a5e' }, now)).toBeNull();
    expect(cardSavedState(mark, { ...gift, canceledAt: failedAt }, now)).toBeNull();
    expect(cardSavedState(null, gift, now)).toBeNull();
  });
});
