import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { LedgerError } from '../../server/ledger/errors';
import { currencyExponent, fromStripeAmount } from '../../server/ledger/money';
import { NeedsTreasurer, RetryLater } from '../../server/payments/handlers/types';
import { mayBeOneEventsFailure, noRetryCanHelp } from '../../server/payments/no-retry';
import { backoffMs, posterDefaults } from '../../server/payments/poster';

// The poster parks an event at once when no retry can post it, and retries everything else with
// back-off. Parking a transient failure would leave a treasurer to put back every event of an
// outage by hand; retrying a hopeless one kept it eight attempts from a treasurer, for nothing.

const stripeError = (Kind: new (raw: Record<string, unknown>) => Stripe.errors.StripeError, raw: Record<string, unknown>) => new Kind({ message: 'm', ...raw });
/** A failed query as drizzle throws it: the driver's error (with its SQLSTATE) as the cause. */
const dbError = (code: string) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause: { code, severity: 'ERROR', message: 'm' } });
/** A system error as Node throws it for a socket (EPIPE has the shape of a SQLSTATE). */
const systemError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -32 });
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('noRetryCanHelp', () => {
  it.each<[string, unknown]>([
    ['a NeedsTreasurer', new NeedsTreasurer('refund of another charge')],
    ['a TypeError from reading the payload (a currency that is a number)', thrown(() => (5 as unknown as string).toUpperCase())],
    ['a RangeError (a time that is no date)', thrown(() => new Date(Number.NaN).toISOString())],
    ['a SyntaxError (BigInt of text)', thrown(() => BigInt('1.5'))],
    ['an unknown currency', thrown(() => currencyExponent('XXX'))],
    ['an amount that is not an integer', thrown(() => fromStripeAmount('100' as unknown as number, 'USD'))],
    ['a posting that does not balance', new LedgerError('ledger.unbalanced', 'off by 1')],
    ['a posting with a zero entry', new LedgerError('ledger.zero_amount', 'zero')],
    ['Stripe: no such object', stripeError(Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing', type: 'invalid_request_error' })],
    ['Stripe: a parameter it refuses', stripeError(Stripe.errors.StripeInvalidRequestError, { statusCode: 400, code: 'parameter_invalid_integer' })],
    ['Stripe (or a proxy before it): URI too long, with no message', new Stripe.errors.StripeOAuthError({ type: 'Bad Request' as never, statusCode: 414 })],
    ['a value out of range (22003)', dbError('22003')],
    ['text that is not a uuid (22P02)', dbError('22P02')],
    ['a NUL in text, straight from the driver (22P05)', Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05', severity: 'ERROR' })],
  ])('parks at once: %s', (_case, error) => {
    expect(noRetryCanHelp(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a RetryLater (the gift is not posted yet)', new RetryLater('gift for refund re_1 not posted yet')],
    ['Stripe not reached', new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' })],
    ['Stripe 500', stripeError(Stripe.errors.StripeAPIError, { statusCode: 500 })],
    ['Stripe 503', stripeError(Stripe.errors.StripeAPIError, { statusCode: 503 })],
    ['Stripe 429', stripeError(Stripe.errors.StripeRateLimitError, { statusCode: 429 })],
    ['Stripe 400 rate_limit', stripeError(Stripe.errors.StripeRateLimitError, { statusCode: 400, code: 'rate_limit' })],
    ['Stripe 409 lock_timeout', stripeError(Stripe.errors.StripeAPIError, { statusCode: 409, code: 'lock_timeout' })],
    ['Stripe 401 (the key, not the event)', stripeError(Stripe.errors.StripeAuthenticationError, { statusCode: 401 })],
    ['Stripe 403 (the key, not the event)', stripeError(Stripe.errors.StripePermissionError, { statusCode: 403 })],
    ['Stripe answering what is not JSON', new Stripe.errors.StripeAPIError({ message: 'Invalid JSON received from the Stripe API' })],
    ['a unique violation, maybe a race (23505)', dbError('23505')],
    ['a not-null violation at commit (23502)', dbError('23502')],
    ['a serialization failure (40001)', dbError('40001')],
    ['a deadlock (40P01)', dbError('40P01')],
    ['a lock not available (55P03)', dbError('55P03')],
    ['the database gone (57P01)', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['a connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a connection closed (postgres.js)', Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })],
    ['fetch failing (a TypeError with the network error as cause)', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })],
    ['an overdraft (funds may come)', new LedgerError('ledger.overdrawn', 'overdrawn')],
    ['a reversal of a transaction not posted yet', new LedgerError('ledger.unknown_transaction', 'no such transaction')],
    ['an error of no known kind', new Error('something else')],
    ['a thrown string', 'boom'],
    ['Stripe 407 from a proxy in front of it', new Stripe.errors.StripeOAuthError({ type: 'Proxy Authentication Required' as never, statusCode: 407 })],
    [
      'Stripe 404 for a key of the other mode (a test key on live events)',
      stripeError(Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing', message: "No such payment_intent: 'pi_1'; a similar object exists in live mode, but a test mode key was used to make this request." }),
    ],
  ])('retries: %s', (_case, error) => {
    expect(noRetryCanHelp(error)).toBe(false);
  });

  // Writing a plan, a TypeError may be the driver's (a transaction it could not begin), not the
  // payload's: only the database's verdict on a value (22xxx) parks at once there.
  it('at commit, parks a value the database refuses but retries a TypeError or RangeError', () => {
    expect(noRetryCanHelp(thrown(() => (5 as unknown as string).toUpperCase()), { atCommit: true })).toBe(false);
    expect(noRetryCanHelp(thrown(() => new Date(Number.NaN).toISOString()), { atCommit: true })).toBe(false);
    expect(noRetryCanHelp(dbError('22003'), { atCommit: true })).toBe(true);
    expect(noRetryCanHelp(new NeedsTreasurer('x'), { atCommit: true })).toBe(true);
  });
});

// A batch whose commit failed is committed by halves to find the event at fault, unless the
// database fails every half alike (halving then only multiplies the failures: 2n - 1 commits).
describe('mayBeOneEventsFailure', () => {
  it.each<[string, unknown, boolean]>([
    ['a check of one row (23514)', dbError('23514'), true],
    ['a value out of range (22003)', dbError('22003'), true],
    ['a deadlock (40P01)', dbError('40P01'), true],
    ['a ledger refusal', new LedgerError('ledger.overdrawn', 'overdrawn'), true],
    ["one plan's own error (an invalid time)", thrown(() => new Date(Number.NaN).toISOString()), true],
    ['a RetryLater raised while writing', new RetryLater('its win was posted meanwhile'), true],
    ['the connection lost (08006)', dbError('08006'), false],
    ['the database shutting down (57P01)', dbError('57P01'), false],
    ['out of disk (53100)', dbError('53100'), false],
    ['a read-only transaction (25006)', dbError('25006'), false],
    ['a connection closed (postgres.js)', Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }), false],
    ['a connection reset, as a cause', Object.assign(new Error('Failed query'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }), false],
    ['a broken pipe (EPIPE, five letters like a SQLSTATE)', systemError('EPIPE', 'write'), false],
    ['a broken pipe, as a cause', Object.assign(new Error('Failed query'), { cause: systemError('EPIPE', 'write') }), false],
  ])('%s: %s', (_case, error, expected) => {
    expect(mayBeOneEventsFailure(error)).toBe(expected);
  });
});

// What may pass is retried for about an hour before a treasurer is asked to look: an outage of a
// few minutes (Stripe's, the database's) must not park every event it touched.
describe('the retries of a failure that may pass', () => {
  it('span an hour before the event is parked, and begin within a second', () => {
    const waited = Array.from({ length: posterDefaults.attemptsMax - 1 }, (_, i) => backoffMs(i + 1)).reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(60 * 60_000);
    expect(waited).toBeLessThan(3 * 60 * 60_000);
    expect(backoffMs(1)).toBeLessThanOrEqual(1_000);
  });
});
