/** Which disputes /treasury/disputes lists. */
export const disputeStates = ['open', 'closed', 'all'] as const;
export type DisputeState = (typeof disputeStates)[number];

/** A page of /treasury/disputes; the first page has no page number, so it has one address. */
export function disputeListHref(state: DisputeState, page = 1): string {
  return `/treasury/disputes?${new URLSearchParams(page > 1 ? { state, page: String(page) } : { state })}`;
}
