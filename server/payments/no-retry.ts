import Stripe from 'stripe';
import { LedgerError, type LedgerErrorCode } from '../ledger/errors';
import { MoneyError } from '../ledger/money';
import { NeedsTreasurer, RetryLater } from './handlers/types';

// Which failures of a Stripe event no retry can help: the event's own content is at fault, so the
// same event fails the same way on every attempt, and is parked at once (with its reason) instead
// of eight times over a minute of back-off. Anything not named here retries as before: Stripe or
// the database not answering, a race with another batch, an event that waits for another one.

/** The ledger refusing the posting's own shape; an overdraft, an unknown account or transaction, a lost reversal race or a conflicting key may be settled by another event meanwhile. */
const ledgerCodesOfTheEvent: ReadonlySet<LedgerErrorCode> = new Set(['ledger.unbalanced', 'ledger.too_few_entries', 'ledger.too_many_entries', 'ledger.invalid_key', 'ledger.zero_amount']);

/**
 * 4xx answers that are not about the request's content: the key (401, 403: fixed by configuration,
 * and then every event posts), a timeout (408), Stripe's lock on the object (409, lock_timeout),
 * rate limits (429) and their kin (423, 425).
 */
const stripeStatusesThatRetry: ReadonlySet<number> = new Set([401, 403, 407, 408, 409, 423, 425, 429]);

/** Stripe's 404 for a key of the other mode (a test key on live events): configuration again, not the event. */
const otherModesObject = /similar object exists in (live|test) mode/;

/**
 * Whether the event that failed with `error` fails again on every retry, so waiting can only delay a
 * treasurer. `atCommit`: the error came from writing its plan, where a TypeError may be the
 * driver's rather than the payload's, so only the database's own verdict on a value counts.
 */
export function noRetryCanHelp(error: unknown, { atCommit = false } = {}): boolean {
  if (error instanceof NeedsTreasurer) return true;
  if (error instanceof RetryLater) return false;
  if (error instanceof Stripe.errors.StripeError) return stripeRefusedTheRequest(error);
  // Unknown currency, an amount that is not an integer or not representable: the event's numbers.
  if (error instanceof MoneyError) return true;
  if (error instanceof LedgerError) return ledgerCodesOfTheEvent.has(error.code as LedgerErrorCode);
  const sqlState = postgresCode(error);
  // 22xxx data exceptions (a value out of range, text that is not a number or a date, a NUL in text)
  // come from the values the event itself gives; 23xxx constraints and 40xxx/55P03 may be races, and retry.
  if (sqlState !== undefined) return sqlState.startsWith('22');
  return !atCommit && readingThePayloadFailed(error);
}

/**
 * Whether a batch's failed commit may be one event's doing (a value, a constraint, a race on its
 * rows), so that committing it by halves can find that event. The database not answering, out of
 * resources or shutting down fails every half alike: halving would only multiply the failures.
 */
export function mayBeOneEventsFailure(error: unknown): boolean {
  const sqlState = postgresCode(error);
  if (sqlState !== undefined) return !/^(08|25|53|57|58|XX)/.test(sqlState);
  // A driver's or the network's error code (ECONNRESET, CONNECTION_CLOSED, ETIMEDOUT): the connection's.
  return !/^[A-Z][A-Z0-9_]+$/.test(errorCode(error) ?? '');
}

/** Stripe answered, and refused the request itself (no such object, an id it cannot take): asked again, it answers the same. */
function stripeRefusedTheRequest(error: Stripe.errors.StripeError): boolean {
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeRateLimitError || error instanceof Stripe.errors.StripeIdempotencyError) return false;
  if (error.code === 'lock_timeout' || error.code === 'rate_limit') return false;
  const status = error.statusCode;
  if (status === 404 && otherModesObject.test(error.message)) return false;
  return status !== undefined && status >= 400 && status < 500 && !stripeStatusesThatRetry.has(status);
}

/**
 * A TypeError, RangeError or SyntaxError thrown by our code as it reads the payload (an amount that
 * is a string, a currency that is a number, a time that is no date, BigInt of text). One with a
 * cause is the network's (undici's "fetch failed", "terminated"), and retries.
 */
function readingThePayloadFailed(error: unknown): boolean {
  const ownError = error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
  return ownError && (error as { cause?: unknown }).cause === undefined;
}

/** The error that carries a code (a SQLSTATE, a driver's or the network's): drizzle's cause, or the error itself. */
function codeHolder(error: unknown): { code?: unknown; severity?: unknown } | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause?.code !== undefined) return cause;
  return (error as { code?: unknown } | undefined) ?? undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = codeHolder(error)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The SQLSTATE of a database error. Only the server's errors carry a severity (postgres.js and
 * PGlite alike): a five-letter system code (EPIPE, EBUSY) has the shape of a SQLSTATE and is not one.
 */
function postgresCode(error: unknown): string | undefined {
  const code = errorCode(error);
  return code !== undefined && typeof codeHolder(error)?.severity === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
