import { z } from 'zod';
import { minorUnits } from '../appeals/schemas';
import { bigintMax, isLedgerId } from './bigint';
import { isStorableTime } from '../storable-time';
import { isTimeZone } from '../../web/src/lib/time-zone';

/** A ledger id as a path or query sends it. */
const ledgerId = z.string().refine(isLedgerId, { error: `must be a whole number from 1 to ${bigintMax}` });

const appealNamed = z.object({ slug: z.string(), title: z.string(), language: z.string().describe('the language the appeal, and so its title, is written in') });

export const ledgerAccountSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  currency: z.string().length(3),
  type: z.enum(['asset', 'liability', 'income', 'expense', 'equity']),
  allowNegative: z.boolean(),
  balanceMinor: minorUnits.describe('debits positive, credits negative'),
  entryCount: z.string(),
  appeal: appealNamed.nullable().describe('the appeal whose money the account holds, for an account coded appeal:<id>'),
});

export const listAccountsQuery = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  type: z.enum(['asset', 'liability', 'income', 'expense', 'equity']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: ledgerId.optional().describe('the last account id of the previous page'),
});

export const accountIdParams = z.object({ id: ledgerId });

/**
 * A calendar day that exists (2026-01-31; not 2026-02-30), as a date field sends it, whose start
 * and end a query can carry: year 0000, and the midnight after 9999-12-31 (where a `to` day ends),
 * are ISO text Postgres refuses, which failed the statement with a 500.
 */
const dayMs = 86_400_000;
export const day = z.iso
  .date({ error: 'must be a date, e.g. 2026-11-01' })
  .refine((d) => isStorableTime(Date.parse(d)) && isStorableTime(Date.parse(d) + dayMs), { error: 'must be a day from 1970-01-01 to 9999-12-30' });

// A `from` after `to` is refused by the route with a code of its own (ledger.statement_dates_reversed).
export const statementQuery = z.strictObject({
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  from: day.optional().describe('first day (in `zone`) whose postings are shown'),
  to: day.optional().describe('last day (in `zone`) whose postings are shown'),
  zone: z
    .string()
    .max(64)
    .refine(isTimeZone, { error: 'an IANA time zone this server knows, e.g. Asia/Tokyo' })
    .default('UTC')
    .describe("the time zone whose calendar `from` and `to` are days of (the treasurer's, as the lines are shown to them)"),
});

export const statementSchema = z.object({
  account: ledgerAccountSchema,
  lines: z.array(
    z.object({
      entryId: z.string(),
      transactionId: z.string(),
      idempotencyKey: z.string(),
      kind: z.string(),
      description: z.string(),
      occurredAt: z.string(),
      postedAt: z.string(),
      amountMinor: minorUnits,
      balanceAfterMinor: minorUnits,
      donationId: z.uuid().nullable().describe("the gift this posting belongs to (GET /api/donations/:id/detail), if any"),
      appeal: appealNamed.nullable().describe("that gift's appeal, so a reader can describe the line in their own language"),
    }),
  ),
  nextCursor: z.string().nullable(),
});
