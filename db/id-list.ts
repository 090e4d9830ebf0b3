import { sql, type Column, type SQL } from 'drizzle-orm';

/**
 * `column IN (ids)` with every id in one JSON parameter, cast to the column's type. A batch of a
 * thousand ids as a thousand bound parameters costs more to send and parse than the query itself.
 *
 * Written `= ANY(ARRAY(…))`: the list is read once, before the table, and looked up by the
 * column's index. As `IN (SELECT …)` the planner could also make the list the inner side of a
 * nested loop, read again for every row of the table, whenever it expected the table side to be
 * tiny: 1,000 ids against 8,000 rows took 3 s where this takes 12 ms.
 */
export function inIdList(column: Column, ids: readonly string[]): SQL {
  return sql`${column} = ANY(ARRAY(SELECT json_array_elements_text(${JSON.stringify(ids)}::json)::${sql.raw(column.getSQLType())}))`;
}
