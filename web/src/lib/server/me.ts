// GET /api/me as the pages see it (kept in step with server/orgs/schemas.ts).
import type { z } from 'zod';
import type { meSchema } from '../../../../server/orgs/schemas';

export type Me = z.infer<typeof meSchema>;
export type Membership = Me['memberships'][number];
