import { giftIdPattern } from './gift-ids';

/**
 * Back on /account from Stripe's portal after a card was saved. Stripe sends the donor to the
 * flow's own return URL only once the card is saved (`/account?card_saved=<gift>`); its "return"
 * link goes to plain /account, so this mark never claims a card nobody saved. The page then stamps
 * the mark with when the donor came back and the failed renewal it saw then (a redirect), so that
 * it can tell the unpaid renewal charged since from the new card failing too, and so that the
 * notice is gone from the same address once it is old.
 */
export interface CardSavedMark {
  giftId: string;
  /** When the donor came back from the portal (ms). */
  atMs: number;
  /** The failed renewal the gift showed then (its time, as the API says it), or null. */
  failedAt: string | null;
}

/** How long the page says "charging now" before it shows the gift as the API has it again. */
export const cardChargeWaitMs = 120_000;
/** How long the same address still says the card was saved. */
const cardSavedShownMs = 600_000;

/** The mark in the page's address: stamped, or only Stripe's (to stamp), or none. */
export function readCardSavedMark(params: URLSearchParams, nowMs: number): CardSavedMark | { unstamped: string } | null {
  const giftId = params.get('card_saved') ?? '';
  if (!giftIdPattern.test(giftId)) return null;
  const at = Number(params.get('at'));
  if (!params.has('at')) return { unstamped: giftId };
  // A stamp from the future, or an old one, says nothing any more.
  if (!Number.isSafeInteger(at) || at > nowMs || nowMs - at >= cardSavedShownMs) return null;
  const failed = params.get('failed') ?? '';
  return { giftId, atMs: at, failedAt: failed && !Number.isNaN(Date.parse(failed)) ? failed : null };
}

/** The stamped address: the mark, the time and the failed renewal seen on coming back. */
export function stampedCardSavedPath(giftId: string, nowMs: number, failedAt: string | null): string {
  const q = new URLSearchParams({ card_saved: giftId, at: String(nowMs) });
  if (failedAt) q.set('failed', failedAt);
  return `/account?${q}#monthly-title`;
}

/**
 * What the page says of this gift's new card: `charging` while the renewal that had failed is
 * still unpaid (for a while: Stripe's word comes by webhook), `saved` once the API shows nothing
 * unpaid, and null otherwise (another gift, ended, past the wait, or failed again with the new
 * card): then the page shows the gift as the API has it. It never says paid before the API does.
 */
export function cardSavedState(mark: CardSavedMark | null, gift: { id: string; canceledAt: string | null; renewalFailedAt: string | null }, nowMs: number): 'charging' | 'saved' | null {
  if (!mark || mark.giftId !== gift.id || gift.canceledAt) return null;
  if (gift.renewalFailedAt === null) return 'saved';
  const sameFailure = gift.renewalFailedAt === mark.failedAt;
  return sameFailure && nowMs - mark.atMs < cardChargeWaitMs ? 'charging' : null;
}
