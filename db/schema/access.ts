import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './auth';
import { organizations } from './orgs';

export const roleName = pgEnum('role_name', ['member', 'organizer', 'treasurer', 'admin']);

// A person's role in one organization. It reaches the organization's descendants only when the
// grant says so (`includes_descendants`): a federation treasurer sees a local's money only if
// that was given on purpose.
export const memberships = pgTable(
  'memberships',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    role: roleName('role').notNull(),
    includesDescendants: boolean('includes_descendants').notNull().default(false),
    grantedBy: text('granted_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('memberships_user_org_role_idx').on(t.userId, t.organizationId, t.role), index('memberships_org_idx').on(t.organizationId)],
);

// An emailed invitation to a role. Only the token's hash is stored; the link carries the token.
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    email: text('email').notNull(),
    role: roleName('role').notNull(),
    includesDescendants: boolean('includes_descendants').notNull().default(false),
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: text('accepted_by').references(() => users.id),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('invitations_token_idx').on(t.tokenHash), index('invitations_org_idx').on(t.organizationId)],
);

// Every privileged action, append-only (the migration refuses UPDATE, DELETE and TRUNCATE).
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: text('actor_user_id').references(() => users.id),
    action: text('action').notNull(),
    organizationId: uuid('organization_id').references(() => organizations.id),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
  },
  (t) => [
    index('audit_log_org_at_idx').on(t.organizationId, t.at),
    index('audit_log_subject_idx').on(t.subjectType, t.subjectId),
    check('audit_log_action_shape', sql`${t.action} ~ '^[a-z_]+\\.[a-z_.]+$'`),
  ],
);

export type Membership = typeof memberships.$inferSelect;
export type RoleName = (typeof roleName.enumValues)[number];
export type AuditRow = typeof auditLog.$inferSelect;
