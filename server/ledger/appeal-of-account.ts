import { sql } from 'drizzle-orm';
import { appeals, ledgerAccounts } from '../../db/schema/index';

/**
 * The appeal an account holds money for: its code is `appeal:<appeal id>` (payments/chart.ts).
 * A join condition on the appeals' primary key, cast only from a well-formed code.
 */
export const appealOfAccount = sql`${appeals.id} = CASE WHEN ${ledgerAccounts.code} ~ '^appeal:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN substr(${ledgerAccounts.code}, 8)::uuid END`;

/** What a reader is told of that appeal: its title, in the language it is written in. */
export const accountAppealColumns = { slug: appeals.slug, title: appeals.title, language: appeals.language };
