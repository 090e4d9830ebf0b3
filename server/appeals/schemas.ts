import { z } from 'zod';
import { isStorableTime } from '../storable-time';

/**
 * A time as the API takes it (ISO 8601 with its offset), one Postgres takes as sent: the format
 * allows year 0000, and an offset can carry 9999-12-31 into year 10000; either failed a write with a 500.
 */
export const storableDateTime = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v))
  .refine((d) => isStorableTime(d.getTime()), { error: 'must be a time from 1970 to the end of 9999' });

/** Money crosses the API as a string of minor units (exact at any size), always with its currency. */
export const minorUnits = z.string().regex(/^-?\d{1,19}$/).describe('integer count of minor units, as a string');

export const appealProgressSchema = z.object({
  raisedGrossMinor: minorUnits,
  raisedNetMinor: minorUnits,
  donorCount: z.number().int(),
  giftCount: z.number().int(),
  unitsFilled: z.number().int().nullable(),
  shareOfGoalBasisPoints: z.number().int().describe('raised gross as a share of the goal, in 1/10,000'),
  lastGiftAt: z.string().nullable(),
});

export const appealSummarySchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  title: z.string(),
  summary: z.string(),
  beneficiary: z.string(),
  language: z.string(),
  currency: z.string().length(3),
  goalMinor: minorUnits,
  unit: z.object({ name: z.string(), priceMinor: minorUnits }).nullable(),
  deadlineAt: z.string().nullable(),
  status: z.enum(['draft', 'live', 'closed']),
  closedAt: z.string().nullable().describe('when a closed appeal stopped taking gifts; null unless closed'),
  isDemo: z.boolean(),
  organization: z.object({ slug: z.string(), name: z.string() }),
  progress: appealProgressSchema,
  translations: z
    .array(z.object({ language: z.string(), title: z.string(), summary: z.string() }))
    .describe("the organizers' translations of title and summary; show the reader's language when there is one, else the original"),
});

export const appealDetailSchema = appealSummarySchema.extend({
  storyMarkdown: z.string(),
  storyHtml: z.string().describe('the story rendered and sanitized: safe to put in a page as is'),
  coverImageUrl: z.string().nullable(),
  translations: z
    .array(
      z.object({
        language: z.string(),
        title: z.string(),
        summary: z.string(),
        storyHtml: z.string(),
        unitName: z.string().nullable().describe("the unit named in this language; null (and always for an appeal without a unit): use unit.name"),
      }),
    )
    .describe("the organizers' translations; show the reader's language when there is one, else the original"),
});

export const listAppealsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  organization: z.string().max(100).optional().describe("the owning organization's slug"),
  campaign: z.string().max(100).optional().describe("a campaign's slug: only its appeals"),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  status: z.enum(['live', 'closed']).default('live').describe('drafts are never listed'),
});

export const appealListSchema = z.object({
  appeals: z.array(appealSummarySchema),
  nextCursor: z.string().nullable(),
});

/** An appeal's or organization's address name, as the API takes it: lower case. */
export const slugPattern = /^[a-z0-9][a-z0-9-]{0,79}$/;
export const slugParams = z.object({ slug: z.string().regex(slugPattern) });

/** A donor's message's language: the one they gave in, as it has no other (`messageLanguageOf`). */
export const messageLanguageSchema = z.string().nullable().describe('the language the donor gave in, the best guess at the message’s; null without a message');

/** The public donor wall: a donor's name only if they allowed it, a message only once approved. */
export const donorWallSchema = z.object({
  donors: z.array(
    z.object({
      name: z.string().nullable().describe('null for an anonymous or nameless gift, or one whose name an organizer took off the wall'),
      message: z.string().nullable().describe('only messages an organizer approved'),
      messageLanguage: messageLanguageSchema,
      givenAt: z.string(),
    }),
  ),
});

export const donorWallQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(30) });

export type DonorWall = z.infer<typeof donorWallSchema>;
export type AppealSummary = z.infer<typeof appealSummarySchema>;
export type AppealDetail = z.infer<typeof appealDetailSchema>;
