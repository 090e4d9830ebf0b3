import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, customType, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './auth';
import { organizations } from './orgs';

export const appealStatus = pgEnum('appeal_status', ['draft', 'live', 'closed']);

export const appeals = pgTable(
  'appeals',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    slug: text('slug').notNull().unique(),
    organizationId: uuid('organization_id').notNull().references(() => organizations.id),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    storyMarkdown: text('story_markdown').notNull().default(''),
    /** The story rendered and sanitized when it is saved, so a read never renders markdown. */
    storyHtml: text('story_html').notNull().default(''),
    /** The renderer's version that made storyHtml (markdownRenderVersion); older is rendered again. */
    storyHtmlVersion: integer('story_html_version').notNull().default(0),
    coverImageId: uuid('cover_image_id'),
    beneficiary: text('beneficiary').notNull(),
    language: text('language').notNull().default('en'),
    currency: char('currency', { length: 3 }).notNull(),
    goalMinor: bigint('goal_minor', { mode: 'bigint' }).notNull(),
    unitName: text('unit_name'),
    unitPriceMinor: bigint('unit_price_minor', { mode: 'bigint' }),
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    status: appealStatus('status').notNull().default('draft'),
    isDemo: boolean('is_demo').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closedReason: text('closed_reason'),
    createdBy: text('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('appeals_status_published_idx').on(t.status, t.publishedAt, t.id),
    index('appeals_org_idx').on(t.organizationId),
    index('appeals_story_html_version_idx').on(t.storyHtmlVersion),
    check('appeals_goal_positive', sql`${t.goalMinor} > 0`),
    check(
      'appeals_unit_complete',
      sql`(${t.unitName} IS NULL) = (${t.unitPriceMinor} IS NULL) AND coalesce(${t.unitPriceMinor}, 1) > 0`,
    ),
  ],
);

// One row per appeal, kept in step with the ledger by the poster, so progress reads are one row.
export const appealProgress = pgTable('appeal_progress', {
  appealId: uuid('appeal_id').primaryKey().references(() => appeals.id),
  raisedGrossMinor: bigint('raised_gross_minor', { mode: 'bigint' }).notNull().default(sql`0`),
  raisedNetMinor: bigint('raised_net_minor', { mode: 'bigint' }).notNull().default(sql`0`),
  donorCount: integer('donor_count').notNull().default(0),
  giftCount: integer('gift_count').notNull().default(0),
  lastGiftAt: timestamp('last_gift_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

// A title and story (and the unit's name, for an appeal with a unit) in another language, written
// by the organizer; readers get the original where no translation exists.
export const appealTranslations = pgTable(
  'appeal_translations',
  {
    appealId: uuid('appeal_id')
      .notNull()
      .references(() => appeals.id),
    language: text('language').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    storyMarkdown: text('story_markdown').notNull().default(''),
    storyHtml: text('story_html').notNull().default(''),
    storyHtmlVersion: integer('story_html_version').notNull().default(0),
    /** The appeal's unit named in this language ("レンガ" for "brick"); null: readers get the original unit name. */
    unitName: text('unit_name'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.appealId, t.language] }), index('appeal_translations_story_html_version_idx').on(t.storyHtmlVersion)],
);

// News from the drive; emailed to donors who opted in.
export const appealUpdates = pgTable(
  'appeal_updates',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    appealId: uuid('appeal_id')
      .notNull()
      .references(() => appeals.id),
    /**
     * The language the organizer wrote it in, one the app writes in: often not the appeal's (a
     * Spanish message of solidarity on a Japanese appeal), so pages mark the update with its own.
     */
    language: text('language').notNull(),
    title: text('title').notNull(),
    bodyMarkdown: text('body_markdown').notNull(),
    bodyHtml: text('body_html').notNull(),
    bodyHtmlVersion: integer('body_html_version').notNull().default(0),
    authorUserId: text('author_user_id').references(() => users.id),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The poster's key for this update (the manage page draws one per page): a second request
     * with it, a double click or a resent form, answers this update instead of posting and
     * mailing it again. Null for updates posted before keys, or through the API without one.
     */
    idempotencyKey: text('idempotency_key'),
    /**
     * When an organizer last corrected the title or text after posting; null for an update as
     * posted. The page says "edited" with it: the words may differ from the mail donors got.
     */
    editedAt: timestamp('edited_at', { withTimezone: true }),
  },
  (t) => [
    index('appeal_updates_appeal_idx').on(t.appealId, t.publishedAt),
    index('appeal_updates_body_html_version_idx').on(t.bodyHtmlVersion),
    // The database, not a read before the insert, decides which of two concurrent requests posts.
    uniqueIndex('appeal_updates_key_idx').on(t.appealId, t.idempotencyKey),
  ],
);

// An update's title and text in another language, written by the organizers: readers of that
// language get it on the page (the original a click away), and donors who read it get it by mail
// when it was written with the update. Never in the update's own language (the service refuses it).
export const appealUpdateTranslations = pgTable(
  'appeal_update_translations',
  {
    updateId: uuid('update_id')
      .notNull()
      .references(() => appealUpdates.id),
    language: text('language').notNull(),
    title: text('title').notNull(),
    bodyMarkdown: text('body_markdown').notNull(),
    bodyHtml: text('body_html').notNull(),
    bodyHtmlVersion: integer('body_html_version').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.language] }), index('appeal_update_translations_body_html_version_idx').on(t.bodyHtmlVersion)],
);

// The link in each update mail that stops a donor's updates about one appeal: a random token per
// mail, kept only as its hash (like invitations). It names the appeal and the address, so it
// stops every gift's opt-in to that appeal from that address, and it keeps working for as long
// as old mails are read (RFC 8058 one-click unsubscribe needs no sign-in).
export const updateStopTokens = pgTable(
  'update_stop_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    appealId: uuid('appeal_id')
      .notNull()
      .references(() => appeals.id),
    /** Lower-cased, as update mail is addressed. */
    email: text('email').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
);

// Cover images live in Postgres: small (size-checked), served with their checked content type.
export const appealImages = pgTable('appeal_images', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  appealId: uuid('appeal_id')
    .notNull()
    .references(() => appeals.id),
  contentType: text('content_type').notNull(),
  sizeBytes: integer('size_bytes').notNull(),
  sha256: text('sha256').notNull(),
  bytes: bytea('bytes').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Appeal = typeof appeals.$inferSelect;
export type NewAppeal = typeof appeals.$inferInsert;
export type AppealProgress = typeof appealProgress.$inferSelect;
