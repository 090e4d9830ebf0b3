import { z } from 'zod';
import { localeSchema } from '../locale';

export const roleSchema = z.enum(['member', 'organizer', 'treasurer', 'admin']);
export const orgSlugParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/) });

export const organizationSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  kind: z.enum(['federation', 'union', 'local', 'other']),
  parentSlug: z.string().nullable(),
  country: z.string().nullable(),
  defaultCurrency: z.string(),
});

export const membershipSchema = z.object({
  id: z.uuid(),
  organization: z.object({ id: z.uuid(), slug: z.string(), name: z.string() }),
  role: roleSchema,
  includesDescendants: z.boolean(),
});

export const meSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string(), locale: localeSchema.nullable() }),
  memberships: z.array(membershipSchema),
});

const memberUserSchema = z.object({ id: z.string(), email: z.string(), name: z.string() });

// Postgres refuses a NUL in text: refused here, as a 400, rather than failing the query.
const noNul = /^[^\u0000]*$/;
/** A page's end as values, not as a row to look up: a role removed meanwhile does not break the next page. */
const memberCursor = z.tuple([z.string().max(320).regex(noNul), roleSchema, z.uuid()]);
export type MemberCursor = z.infer<typeof memberCursor>;
/** The cursor as the API gives it out (the query's transform reads it back). */
export const encodeMemberCursor = (cursor: MemberCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
const decodeJson = (base64url: string): unknown => {
  try {
    return JSON.parse(Buffer.from(base64url, 'base64url').toString());
  } catch {
    return undefined;
  }
};

/** An admin's search of the people page: by name or address, by role, a page at a time. */
export const memberListQuery = z.object({
  q: z.string().trim().max(100).regex(noNul).optional().transform((q) => q || undefined).describe('part of a name or an email address, any case'),
  role: roleSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .max(2000)
    .optional()
    .transform((cursor, ctx) => {
      if (cursor === undefined) return undefined;
      const parsed = memberCursor.safeParse(decodeJson(cursor));
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });
      return z.NEVER;
    })
    .describe('nextCursor of the page before'),
});

export const memberListSchema = z.object({
  /** How many roles match the search, over every page. */
  total: z.number().int(),
  /** The cursor of the next page; null on the last. */
  nextCursor: z.string().nullable(),
  members: z.array(
    z.object({
      id: z.uuid(),
      user: memberUserSchema,
      role: roleSchema,
      includesDescendants: z.boolean(),
      createdAt: z.string(),
    }),
  ),
  /** Roles held on an organization above that reach this one; they are managed there. */
  inherited: z.array(
    z.object({
      id: z.uuid(),
      user: memberUserSchema,
      role: roleSchema,
      organization: z.object({ slug: z.string(), name: z.string() }),
      createdAt: z.string(),
    }),
  ),
  /** Whether the caller's admin role reaches the organizations below: only then may they grant, withdraw or remove a role that does. */
  callerReachesBelow: z.boolean(),
});

export const createInvitationBody = z.strictObject({
  email: z.email().max(254),
  role: roleSchema,
  includesDescendants: z.boolean().default(false),
  /** The mail's language when the invited address has none of its own yet (default: the inviter's, else English). */
  locale: localeSchema.optional(),
});

export const languageBody = z.strictObject({ locale: localeSchema });

export const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: roleSchema,
  includesDescendants: z.boolean(),
  expiresAt: z.string(),
});

/** Where a page of waiting invitations ended: its last one's creation (epoch seconds, to the microsecond, as Postgres holds it) and id. */
const invitationCursor = z.tuple([z.string().regex(/^\d{1,12}(\.\d{1,6})?$/), z.uuid()]);
export type InvitationCursor = z.infer<typeof invitationCursor>;
export const encodeInvitationCursor = (cursor: InvitationCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** Waiting invitations a page at a time: a drive's organizer may invite hundreds at once. */
export const invitationListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(200)
    .optional()
    .transform((cursor, ctx) => {
      if (cursor === undefined) return undefined;
      const parsed = invitationCursor.safeParse(decodeJson(cursor));
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });
      return z.NEVER;
    })
    .describe('nextCursor of the page before'),
});

export const invitationListSchema = z.object({
  /** How many are waiting, over every page. */
  total: z.number().int(),
  /** The cursor of the next page; null on the last. */
  nextCursor: z.string().nullable(),
  invitations: z.array(invitationSchema),
});

export const acceptInvitationBody = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/) });

export const invitationPreviewSchema = z.object({
  organization: z.object({ slug: z.string(), name: z.string() }),
  role: roleSchema,
  includesDescendants: z.boolean(),
  invitedBy: z.string().nullable().describe('the sender’s name, else address; null if their account is gone'),
  expiresAt: z.string(),
});

export const auditListSchema = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      at: z.string(),
      actor: z.object({ id: z.string(), email: z.string() }).nullable(),
      action: z.string(),
      subjectType: z.string(),
      subjectId: z.string(),
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});
