/** How long to wait after the `attempts`th failure in a row: doubling from `baseMs`, up to `maxMs`. */
export function doublingBackoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(attempts - 1, 30), maxMs);
}
