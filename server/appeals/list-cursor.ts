import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';
import { appealUpdates, donations } from '../../db/schema/index';
import { AppError } from '../errors';
import { isUuidText } from '../uuid-text';

/*
 * An appeal's lists that page by keyset (its gifts, its updates) give out the last row's id as the
 * cursor. A cursor is checked the same way for each: one not given out for this appeal, whatever
 * its shape (a typo, another appeal's id, any text), is the caller's mistake, 400 invalid_cursor.
 */

const invalidCursor = () => new AppError(400, 'invalid_cursor', 'The cursor is not one this API gave out for this appeal.');

/** Refuses `cursor` unless it is the id of one of this appeal's rows in `table`. */
export async function checkAppealCursor(db: DbOrTx, table: typeof donations | typeof appealUpdates, p: { appealId: string; cursor: string }): Promise<void> {
  // Checked before it reaches the uuid column, which would fail the whole query on other text.
  if (!isUuidText(p.cursor)) throw invalidCursor();
  const [row] = await queryRows(db, sql`SELECT 1 AS found FROM ${table} WHERE ${table.id} = ${p.cursor} AND ${table.appealId} = ${p.appealId}`);
  if (!row) throw invalidCursor();
}
