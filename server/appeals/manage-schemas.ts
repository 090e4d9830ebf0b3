import { z } from 'zod';
import { appealCurrencySchema } from '../ledger/money';
import { messageLanguageSchema, minorUnits, slugParams, storableDateTime } from './schemas';

export const appealLanguages = ['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru'] as const;
export const languageSchema = z.enum(appealLanguages);

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,79}$/, { error: 'must be 2–80 lowercase letters, digits or dashes, e.g. buck-a-brick' });
/** A goal of at most 15 digits of minor units: far beyond any drive, far below bigint's edge. */
export const appealAmountMaxMinor = 999_999_999_999_999n;
const positiveMinor = z
  .string()
  .regex(new RegExp(`^[1-9][0-9]{0,${appealAmountMaxMinor.toString().length - 1}}$`), { error: 'must be a positive whole number of minor units as a string, e.g. "130000"' })
  .transform((v) => BigInt(v));
/** A unit's name, the appeal's own or a translation's: "brick", "レンガ". */
const unitName = z.string().trim().min(1).max(40);
const unitSchema = z.strictObject({ name: unitName, priceMinor: positiveMinor });

export const createAppealBody = z.strictObject({
  slug,
  title: z.string().trim().min(3).max(140),
  summary: z.string().trim().max(300).default(''),
  storyMarkdown: z.string().max(20_000).default(''),
  beneficiary: z.string().trim().min(2).max(200),
  language: languageSchema.default('en'),
  currency: appealCurrencySchema,
  goalMinor: positiveMinor,
  unit: unitSchema.nullable().default(null),
  // The service refuses a past deadline.
  deadlineAt: storableDateTime.nullable().default(null),
});

export const updateAppealBody = z
  .strictObject({
    title: z.string().trim().min(3).max(140),
    summary: z.string().trim().max(300),
    storyMarkdown: z.string().max(20_000),
    beneficiary: z.string().trim().min(2).max(200),
    language: languageSchema.describe('the language the appeal is written in; one it has a translation into: 409 appeal.language_translated (remove that translation first)'),
    currency: appealCurrencySchema,
    goalMinor: positiveMinor,
    unit: unitSchema.nullable(),
    deadlineAt: storableDateTime.nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { error: 'nothing to change' });

export const translationBody = z.strictObject({
  title: z.string().trim().min(3).max(140),
  summary: z.string().trim().max(300).default(''),
  storyMarkdown: z.string().max(20_000).default(''),
  unitName: unitName
    .nullable()
    .default(null)
    .describe("the appeal's unit named in this language; only for an appeal with a unit (else 400 appeal.translation_unit_without_unit); null: readers get the original name"),
  from: z
    .strictObject({ title: z.string().max(140), summary: z.string().max(300), storyMarkdown: z.string().max(20_000), unitName: z.string().max(40).nullable() })
    .optional()
    .describe(
      'the translation as the organizer read it (compared exactly, as stored): it only replaces that one. Changed by now: 409 appeal.translation_changed; removed by now: 409 appeal.translation_removed; nothing changed either way. Omitted: adds or replaces whatever is there',
    ),
});

export const translationParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/), language: languageSchema });

/** An update's words, and a translation's: a title and a markdown text. */
const updateText = { title: z.string().trim().min(3).max(140), bodyMarkdown: z.string().trim().min(1).max(20_000) };

export const updateTranslationBody = z.strictObject({
  ...updateText,
  from: z
    .strictObject({ title: z.string().max(140), bodyMarkdown: z.string().max(20_000) })
    .optional()
    .describe(
      'the translation as the organizer read it (compared exactly, as stored): it only replaces that one. Changed by now: 409 appeal.update_translation_changed; removed by now: 409 appeal.update_translation_removed; nothing changed either way. Omitted: adds or replaces whatever is there',
    ),
});
export const updateParams = slugParams.extend({ updateId: z.uuid() });
export const updateTranslationParams = updateParams.extend({ language: languageSchema });

/** A correction of the language an update is marked with: from the one the organizer saw, to the one it is written in. */
export const updateLanguageBody = z.strictObject({
  from: languageSchema.describe("the update's language as the organizer saw it; another by now: 409 appeal.update_language_changed, nothing changed"),
  to: languageSchema.describe('the language the update is written in; one it has a translation into: 409 appeal.update_language_translated (remove that translation first)'),
});

/**
 * A correction of a posted update's words: from the text the organizer's form was drawn from
 * (compared exactly, as stored), to the text it is to say, within the limits of posting.
 */
export const updateTextBody = z.strictObject({
  from: z
    .strictObject({ title: z.string().max(140), bodyMarkdown: z.string().max(20_000) })
    .describe("the update's title and markdown as the organizer saw them; other by now: 409 appeal.update_text_changed, nothing changed"),
  to: z.strictObject(updateText).describe('the corrected title and markdown; rendered and sanitized as when posting. No one is mailed again'),
});

export const updatePostBody = z.strictObject({
  ...updateText,
  language: languageSchema.optional().describe("the language the update is written in, one the app writes in; omitted: the appeal's"),
  translations: z
    .array(z.strictObject({ language: languageSchema, ...updateText }))
    .max(appealLanguages.length - 1)
    .refine((ts) => new Set(ts.map((t) => t.language)).size === ts.length, { error: 'one translation per language' })
    .default([])
    .describe(
      "the update in other languages, mailed to the donors who read one instead of the original; at most one per language, none in the update's own (400 appeal.update_translation_is_original)",
    ),
  // The same shape as a gift's and a refund's key.
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,100}$/)
    .optional()
    .describe("the poster's key for this update, 8–100 letters, digits, _ or -: a request with a key already used on this appeal answers that update (same id, no mail sent again) if its title and body match, else 409 appeal.update_idempotency_conflict. Omitted: every request posts."),
});

/** A wall entry's message, its donor's name, or both; at least one. */
export const moderationBody = z
  .strictObject({
    messageStatus: z.enum(['approved', 'hidden']).optional(),
    nameHidden: z.boolean().optional().describe("true takes the donor's name off the public wall; the gift stays on it, unnamed"),
  })
  .refine((b) => b.messageStatus !== undefined || b.nameHidden !== undefined, { message: 'Give messageStatus, nameHidden or both.' });

export const managedAppealSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  organization: z.object({ slug: z.string(), name: z.string() }),
  title: z.string(),
  summary: z.string(),
  storyMarkdown: z.string(),
  storyHtml: z.string(),
  beneficiary: z.string(),
  language: z.string(),
  currency: z.string(),
  goalMinor: minorUnits,
  unit: z.object({ name: z.string(), priceMinor: minorUnits }).nullable(),
  deadlineAt: z.string().nullable(),
  status: z.enum(['draft', 'live', 'closed']),
  termsLocked: z.boolean().describe('goal, currency and unit are fixed because a gift exists'),
  coverImageUrl: z.string().nullable(),
  translations: z.array(z.object({ language: z.string(), title: z.string(), summary: z.string(), storyMarkdown: z.string(), storyHtml: z.string().describe('the story rendered and sanitized, as the appeal page shows it'), unitName: z.string().nullable() })),
  publishedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  closedReason: z.string().nullable(),
  /** How many addresses asked for news and would get an update posted now (each once). */
  updateSubscribers: z.number().int(),
});

export const appealUpdateSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  bodyHtml: z.string().describe('the update rendered and sanitized like the story: safe to put in a page as is'),
  language: z.string().describe('the language title and body are written in: a page marks them with it (lang, dir)'),
  publishedAt: z.string(),
  editedAt: z.string().nullable().describe('when an organizer last corrected the title or text after posting (the mail had the words as posted); null: as posted'),
  translations: z
    .array(z.object({ language: z.string(), title: z.string(), bodyHtml: z.string() }))
    .describe("the organizers' translations, by language; show the reader's when there is one (with the original a click away), else the original"),
});

/** An update as its organizers edit its translations: the words as written, markdown included. */
export const managedUpdateSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  bodyMarkdown: z.string(),
  bodyHtml: z.string(),
  language: z.string(),
  publishedAt: z.string(),
  editedAt: z.string().nullable(),
  translations: z.array(z.object({ language: z.string(), title: z.string(), bodyMarkdown: z.string(), bodyHtml: z.string() })),
});

// Any text up to 100 characters: one that is not a cursor given out for this appeal is refused
// as 400 invalid_cursor by the list (checkAppealCursor), whatever its shape.
const appealCursor = z.string().max(100).optional().describe('nextCursor of the page before; text that is not one given out for this appeal: 400 invalid_cursor');

/** Updates come a page at a time, newest first; the cursor is the last update of the page before. */
export const updatesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: appealCursor,
});

export const updateListSchema = z.object({
  updates: z.array(appealUpdateSchema).describe('newest first, each in the language it is written in'),
  nextCursor: z.string().nullable().describe('null on the last page'),
});

export const donorRowSchema = z.object({
  donationId: z.uuid(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  anonymous: z.boolean(),
  amountMinor: minorUnits.describe('the gift to the appeal, without what the donor added to cover the fees'),
  coverFeesMinor: minorUnits.describe('what the donor added to cover the card fees; charged on top of amountMinor'),
  refundedMinor: minorUnits.describe('what was refunded of the charge (amountMinor + coverFeesMinor)'),
  currency: z.string(),
  frequency: z.enum(['one_off', 'monthly']),
  status: z.string(),
  dispute: z
    .string()
    .nullable()
    .describe("the gift's chargeback as Stripe last said it: needs_response, under_review, won, lost (the money went back to the card; status stays disputed), warning_… for an inquiry; null: none"),
  message: z.string().nullable(),
  messageLanguage: messageLanguageSchema,
  messageStatus: z.enum(['none', 'pending', 'approved', 'hidden']),
  nameHidden: z.boolean().describe("an organizer took the name off the public wall"),
  onWall: z.boolean().describe('the gift stands on the public wall (a paid first gift, not a renewal, refund or dispute)'),
  updatesOptIn: z.boolean(),
  at: z.string(),
});

/** The organizer's list of gifts comes a page at a time, newest first, like the updates. */
export const donorsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: appealCursor,
});

export const donorListSchema = z.object({
  donors: z.array(donorRowSchema).describe('newest first'),
  nextCursor: z.string().nullable().describe('null on the last page'),
  total: z.number().int().describe('how many gifts the list holds on all its pages'),
});

export type CreateAppeal = z.infer<typeof createAppealBody>;
export type UpdateAppeal = z.infer<typeof updateAppealBody>;
export type TranslationBody = z.infer<typeof translationBody>;
export type UpdateTranslationBody = z.infer<typeof updateTranslationBody>;
export type UpdateTextBody = z.infer<typeof updateTextBody>;
export type ManagedUpdate = z.infer<typeof managedUpdateSchema>;
