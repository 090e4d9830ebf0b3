import { sql } from 'drizzle-orm';
import { appeals, ledgerAccounts } from '../../db/schema/index';
import { uuidOrNull } from '../uuid-sql';

/**
 * The appeal an account holds money for: its code is `appeal:<appeal id>` (payments/chart.ts).
 * A join condition on the appeals' primary key, cast only from a well-formed code.
 */
export const appealOfAccount = sql`${ledgerAccounts.code} LIKE 'appeal:%' AND ${appeals.id} = ${uuidOrNull(sql`substr(${ledgerAccounts.code}, 8)`)}`;

/** What a reader is told of that appeal: its title, in the language it is written in. */
export const accountAppealColumns = { slug: appeals.slug, title: appeals.title, language: appeals.language };
