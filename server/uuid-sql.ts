import { sql, type SQL } from 'drizzle-orm';
import { uuidPattern } from './uuid-text';

/**
 * SQL: `text` as a uuid when it is one, else null. Cast unchecked, anything else fails the whole
 * query (22P02); checked first, a join on it still uses the uuid column's index.
 */
export const uuidOrNull = (text: SQL) => sql`CASE WHEN ${text} ~ ${`^${uuidPattern}$`} THEN (${text})::uuid END`;
