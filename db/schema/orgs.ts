import { sql } from 'drizzle-orm';
import { boolean, char, index, pgEnum, pgTable, text, timestamp, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';

export const organizationKind = pgEnum('organization_kind', ['federation', 'union', 'local', 'other']);

// Organizations form a tree (federation → union → local); any of them runs appeals and holds funds.
export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    kind: organizationKind('kind').notNull(),
    parentId: uuid('parent_id').references((): AnyPgColumn => organizations.id),
    country: char('country', { length: 2 }),
    defaultCurrency: char('default_currency', { length: 3 }).notNull(),
    isDemo: boolean('is_demo').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('organizations_parent_idx').on(t.parentId)],
);

export type Organization = typeof organizations.$inferSelect;
export type NewOrganization = typeof organizations.$inferInsert;
