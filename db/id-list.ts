import { sql, type Column, type SQL } from 'drizzle-orm';

/**
 * `column IN (ids)` with every id in one JSON parameter, cast to the column's type. A batch of a
 * thousand ids as a thousand bound parameters costs more to send and parse than the query itself.
 */
export function inIdList(column: Column, ids: readonly string[]): SQL {
  return sql`${column} IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json)::${sql.raw(column.getSQLType())})`;
}
