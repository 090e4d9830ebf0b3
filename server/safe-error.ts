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
