import { describe, expect, it } from 'vitest';
import { safeErrorMessage } from '../../server/safe-error';

describe('safeErrorMessage', () => {
  // drizzle puts query parameters (a donor's email) in its message; logs and parked events must not.
  it('keeps the Postgres code and message of a failed query, never its parameters', () => {
    const err = Object.assign(new Error('Failed query: insert into "outbox_emails" ...\nparams: ana@example.org,Dear Ana'), {
      cause: { code: '23505', message: 'duplicate key value violates unique constraint "outbox_emails_dedupe_idx"' },
    });
    const message = safeErrorMessage(err);
    expect(message).toBe('database error 23505: duplicate key value violates unique constraint "outbox_emails_dedupe_idx"');
    expect(message).not.toContain('ana@example.org');
  });

  it('passes other errors through', () => {
    expect(safeErrorMessage(new Error('gift not posted yet'))).toBe('gift not posted yet');
    expect(safeErrorMessage('plain')).toBe('plain');
  });
});
