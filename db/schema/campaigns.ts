import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { appeals } from './appeals';
import { organizations } from './orgs';

export const campaignStatus = pgEnum('campaign_status', ['draft', 'live', 'closed']);

// An organization's grouping of appeals (its own and its descendants'), e.g. a global day of
// action with one combined total per currency.
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    slug: text('slug').notNull().unique(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    status: campaignStatus('status').notNull().default('draft'),
    startsAt: timestamp('starts_at', { withTimezone: true }),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (t) => [
    index('campaigns_org_idx').on(t.organizationId),
    // A campaign that ends before it starts is a typo, and its page would say both at once.
    check('campaigns_ends_after_start', sql`${t.endsAt} IS NULL OR ${t.startsAt} IS NULL OR ${t.endsAt} > ${t.startsAt}`),
  ],
);

export const campaignAppeals = pgTable(
  'campaign_appeals',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    appealId: uuid('appeal_id')
      .notNull()
      .references(() => appeals.id),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.appealId] }), index('campaign_appeals_appeal_idx').on(t.appealId)],
);

export type Campaign = typeof campaigns.$inferSelect;
