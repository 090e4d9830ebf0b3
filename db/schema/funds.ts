import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './orgs';

// An emergency solidarity fund: standing money of an organization, activated when members
// somewhere come under attack. Its money lives in the ledger account `fund:<id>`.
export const funds = pgTable(
  'funds',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    slug: text('slug').notNull().unique(),
    organizationId: uuid('organization_id').notNull().references(() => organizations.id),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    currency: char('currency', { length: 3 }).notNull(),
    reserveFloorMinor: bigint('reserve_floor_minor', { mode: 'bigint' }).notNull().default(sql`0`),
    isDemo: boolean('is_demo').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('funds_reserve_floor_non_negative', sql`${t.reserveFloorMinor} >= 0`)],
);

export type Fund = typeof funds.$inferSelect;
