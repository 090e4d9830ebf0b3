import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { safeErrorMessage, safeErrorReason } from '../../server/safe-error';

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

describe('safeErrorReason', () => {
  // A parked event must say why. The Stripe SDK gives an answer that is not Stripe's JSON (the
  // emulator's 414 for a 5,000-character id) an empty message: its status and kind are the reason.
  it('is never empty: an error without a message says its kind and HTTP status', () => {
    const err = new Stripe.errors.StripeOAuthError({ type: 'Bad Request' as never, message: undefined, statusCode: 414 });
    expect(err.message).toBe('');
    expect(safeErrorReason(err)).toBe('StripeOAuthError, HTTP 414, Bad Request, with no message');
    expect(safeErrorReason(new TypeError(''))).toBe('TypeError, with no message');
    expect(safeErrorReason('')).toBe('string, with no message');
  });

  it("adds a Stripe answer's kind, status and code to its message", () => {
    const err = new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'resource_missing', message: "No such payment_intent: 'pi_x'", statusCode: 404 });
    expect(safeErrorReason(err)).toBe("No such payment_intent: 'pi_x' (StripeInvalidRequestError, HTTP 404, resource_missing)");
  });

  it('keeps other messages as they are, and database errors without their parameters', () => {
    expect(safeErrorReason(new Error('gift not posted yet'))).toBe('gift not posted yet');
    const err = Object.assign(new Error('Failed query: insert ...\nparams: ana@example.org'), { cause: { code: '22003', message: 'value out of range' } });
    expect(safeErrorReason(err)).toBe('database error 22003: value out of range');
  });
});

describe('safeErrorReason of a made-up id thousands of characters long', () => {
  // Kept whole, the id filled the stored reason (2,000 characters) and cut off what it said.
  it('shortens the id, keeping the rest of the reason', () => {
    const id = 'x'.repeat(5_000);
    expect(safeErrorReason(new Error(`refund ${id} not posted yet`))).toBe(`refund ${'x'.repeat(40)}…(5000 characters) not posted yet`);
    expect(safeErrorReason(new Error(`refund ${'x'.repeat(200)} not posted yet`))).toBe(`refund ${'x'.repeat(200)} not posted yet`);
  });
});
