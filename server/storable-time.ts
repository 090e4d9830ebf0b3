/*
 * The times taken from outside (a page cursor, a Stripe event's `created`): from 1970 to the end of
 * year 9999. Postgres's timestamptz holds all of them; a JS Date, or a count of seconds, also holds
 * times it refuses (year -271821 is 22009, 1e13 seconds 22008), which would fail the whole query.
 */
export const storableTimeMinMs = 0;
export const storableTimeEndMs = Date.UTC(10000, 0, 1);

/** Whether a time (ms since 1970) is one a query may carry. */
export const isStorableTime = (ms: number) => ms >= storableTimeMinMs && ms < storableTimeEndMs;

/** Whether a value is a count of seconds since 1970 (Stripe's times) that a query may carry. */
export const isStorableSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && isStorableTime(v * 1000);
