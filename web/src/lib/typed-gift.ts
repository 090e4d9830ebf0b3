/**
 * What a donor typed into the giving form (name, address, message, choices), kept in this tab's
 * sessionStorage from the moment they go on to Checkout until they come back from it canceled.
 * The server gives it back too, but only to the browser holding the gift's key (a cookie, for an
 * hour; see gift-resume-cookie.ts): the tab still has it when that cookie was refused or expired.
 */
export interface TypedGift {
  name: string;
  email: string;
  message: string;
  anonymous: boolean;
  updates: boolean;
}

const keyOf = (slug: string) => `solidarity-fund:typed-gift:${slug}`;

// Storage can be missing or refuse (private windows, quotas): the form then works as without it.
export function keepTypedGift(slug: string, typed: TypedGift): void {
  try {
    sessionStorage.setItem(keyOf(slug), JSON.stringify(typed));
  } catch {
    // Nothing kept: the donor types it again.
  }
}

/** What was kept for this appeal, once: it is forgotten as it is read back. */
export function takeTypedGift(slug: string): TypedGift | null {
  try {
    const kept = sessionStorage.getItem(keyOf(slug));
    sessionStorage.removeItem(keyOf(slug));
    return kept ? readTyped(JSON.parse(kept)) : null;
  } catch {
    return null;
  }
}

/** Once the gift is made (or given up), nothing typed for it stays behind in the tab. */
export function forgetTypedGift(slug: string): void {
  try {
    sessionStorage.removeItem(keyOf(slug));
  } catch {
    // Nothing to forget.
  }
}

function readTyped(x: unknown): TypedGift | null {
  if (typeof x !== 'object' || x === null) return null;
  const o = x as Record<string, unknown>;
  const text = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  return { name: text('name'), email: text('email'), message: text('message'), anonymous: o.anonymous === true, updates: o.updates === true };
}
