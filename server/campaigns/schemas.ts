import { z } from 'zod';
import { minorUnits, storableDateTime } from '../appeals/schemas';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,79}$/, { error: 'must be 2–80 lowercase letters, digits or dashes' });

export const campaignSlugParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/) });
export const campaignAppealParams = campaignSlugParams.extend({ appealSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/) });

export const createCampaignBody = z.strictObject({
  slug,
  title: z.string().trim().min(3).max(140),
  summary: z.string().trim().max(500).default(''),
  startsAt: storableDateTime.nullable().default(null),
  endsAt: storableDateTime.nullable().default(null),
}).refine((b) => !b.startsAt || !b.endsAt || b.endsAt > b.startsAt, { error: 'must be after startsAt', path: ['endsAt'] });

export const updateCampaignBody = z
  .strictObject({
    title: z.string().trim().min(3).max(140),
    summary: z.string().trim().max(500),
    startsAt: storableDateTime.nullable(),
    endsAt: storableDateTime.nullable(),
  })
  .partial()
  // An empty edit would reach the database as an UPDATE with nothing to set (a 500).
  .refine((b) => Object.keys(b).length > 0, { error: 'nothing to change' });

export const campaignSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  title: z.string(),
  summary: z.string(),
  status: z.enum(['draft', 'live', 'closed']),
  organization: z.object({ slug: z.string(), name: z.string() }),
  startsAt: z.string().nullable(),
  endsAt: z.string().nullable(),
  totals: z
    .array(z.object({ currency: z.string(), raisedGrossMinor: minorUnits, raisedNetMinor: minorUnits, goalMinor: minorUnits, donorCount: z.number().int(), appealCount: z.number().int() }))
    .describe('combined progress, one row per currency (amounts in different currencies are never added)'),
  appeals: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      status: z.enum(['draft', 'live', 'closed']),
      organization: z.object({ slug: z.string(), name: z.string() }),
      currency: z.string(),
      goalMinor: minorUnits,
      raisedGrossMinor: minorUnits,
      donorCount: z.number().int(),
      shareOfCurrencyTotalBasisPoints: z.number().int().describe("this appeal's share of its currency's combined total, in 1/10,000"),
    }),
  ),
});
