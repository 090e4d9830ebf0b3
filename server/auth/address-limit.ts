/**
 * Sign-in links mailed to one address within a window, on this instance. The per-client limit
 * (SIGN_IN_RATE_LIMIT_PER_MINUTE) did not bound them: asked for from many addresses (a botnet, a
 * range of proxies), one person's inbox got a sign-in mail for every request, and our mail
 * server's reputation went with it. Kept in memory, as better-auth keeps the per-client limit:
 * instances count apart, so a few instances allow a few times the limit, still a bound.
 */
export interface AddressLimiter {
  /** Whether one more link may go to `address` now; counts it if so. */
  take(address: string): boolean;
}

export function addressLimiter(opts: { perWindow: number; windowMs: number; addressesMax?: number; now?: () => number }): AddressLimiter {
  const addressesMax = opts.addressesMax ?? 100_000;
  const now = opts.now ?? Date.now;
  // Address → the times its links went out, oldest first; the map in order of last use, so the
  // address used longest ago is forgotten first when it is full.
  const sent = new Map<string, number[]>();
  return {
    take(address) {
      const key = address.trim().toLowerCase();
      const at = now();
      const recent = (sent.get(key) ?? []).filter((t) => at - t < opts.windowMs);
      const allowed = recent.length < opts.perWindow;
      if (allowed) recent.push(at);
      sent.delete(key);
      sent.set(key, recent);
      if (sent.size > addressesMax) sent.delete(sent.keys().next().value!);
      return allowed;
    },
  };
}
