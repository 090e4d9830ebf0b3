import { isNull, lte, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Whether what Stripe said at `saidAt` may be written over what `saidAtColumn` records was said:
 * its events arrive in any order and more than once, so only one made no earlier than the last
 * one kept counts.
 */
export const notOlderThanKept = (saidAtColumn: PgColumn, saidAt: Date): SQL => or(isNull(saidAtColumn), lte(saidAtColumn, saidAt))!;
