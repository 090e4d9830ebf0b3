/**
 * An error as it may be logged or stored: database errors keep their Postgres code and message but
 * never the query parameters (drizzle's message lists them, and they can hold a donor's email).
 */
export function safeErrorMessage(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause as { code?: unknown; message?: unknown } | undefined;
  if (err instanceof Error && err.message.startsWith('Failed query:')) {
    const code = typeof cause?.code === 'string' ? cause.code : 'unknown';
    const message = typeof cause?.message === 'string' ? cause.message : 'query failed';
    return `database error ${code}: ${message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function safeError(err: unknown): { type: string; message: string; code?: string } {
  const code = (err as { code?: unknown })?.code ?? ((err as { cause?: { code?: unknown } })?.cause?.code);
  return {
    type: err instanceof Error ? err.name : typeof err,
    message: safeErrorMessage(err),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/**
 * Why something failed, as a person reads it where it is kept (a parked event's last error), never
 * empty: the safe message, and for an answer from an HTTP API (a Stripe error) also its kind, HTTP
 * status and code. The Stripe SDK gives an answer that is not Stripe's own JSON (a 414 from a proxy
 * in front, say) an empty message; the status and kind are then all there is to say. A word of
 * thousands of characters (an id an event made up) is shortened, so the rest of the reason fits.
 */
export function safeErrorReason(err: unknown): string {
  const message = shortenLongWords(safeErrorMessage(err).trim());
  const e = (err ?? {}) as { name?: unknown; type?: unknown; rawType?: unknown; statusCode?: unknown; code?: unknown };
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 100) : undefined);
  const kind = text(e.type) ?? text(e.name) ?? (err instanceof Error ? 'Error' : typeof err);
  const status = typeof e.statusCode === 'number' ? `HTTP ${e.statusCode}` : undefined;
  const answered = err instanceof Error && status !== undefined && text(e.type) !== undefined;
  if (message !== '' && !answered) return message;
  const details = [kind, status, message === '' ? text(e.rawType) : undefined, text(e.code)].filter((d) => d !== undefined);
  return message === '' ? `${details.join(', ')}, with no message` : `${message} (${details.join(', ')})`;
}

/** Words (ids, values) of more than `wordCharsMax` characters, cut to their start and their length. */
function shortenLongWords(text: string, wordCharsMax = 200): string {
  return text.replace(new RegExp(`\\S{${wordCharsMax + 1},}`, 'gu'), (word) => {
    const chars = [...word];
    return `${chars.slice(0, 40).join('')}…(${chars.length} characters)`;
  });
}
