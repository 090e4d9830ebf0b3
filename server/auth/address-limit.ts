/**
 * Sign-in links mailed to one address within a window, on this instance. The per-client limit
 * (SIGN_IN_RATE_LIMIT_PER_MINUTE) did not bound them: asked for from many addresses (a botnet, a
 * range of proxies), one person's inbox got a sign-in mail for every request, and our mail
 * server's reputation went with it. Kept in memory, as better-auth keeps the per-client limit:
 * instances count apart, so a few instances allow a few times the limit, still a bound.
 */
export interface AddressLimiter {
  /**
   * Takes one of `address`'s places now, or null when its window is full. Taken before the link is
   * asked for, so that requests arriving together cannot all pass the check before any is counted;
   * the answer hands the place back when no link went out.
   */
  take(address: string): { giveBack(): void } | null;
}

export function addressLimiter(opts: { perWindow: number; windowMs: number; addressesMax?: number; now?: () => number }): AddressLimiter {
  const addressesMax = opts.addressesMax ?? 100_000;
  const now = opts.now ?? Date.now;
  // Address → the times its links went out, oldest first; the map in order of last use, so the
  // address used longest ago is forgotten first when it is full.
  const sent = new Map<string, number[]>();
  const keyOf = (address: string) => address.trim().toLowerCase();
  return {
    take(address) {
      const key = keyOf(address);
      const at = now();
      const recent = (sent.get(key) ?? []).filter((t) => at - t < opts.windowMs);
      if (recent.length >= opts.perWindow) return null;
      recent.push(at);
      sent.delete(key);
      sent.set(key, recent);
      if (sent.size > addressesMax) sent.delete(sent.keys().next().value!);
      return {
        giveBack() {
          const times = sent.get(key);
          const i = times?.indexOf(at) ?? -1;
          if (i >= 0) times!.splice(i, 1);
        },
      };
    },
  };
}
