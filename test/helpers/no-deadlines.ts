import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';

/**
 * Takes the demo appeals' deadlines away (the seed closes them 30 and 60 days after seeding). A
 * monthly gift names no charge past its appeal's deadline, and its receipt says it ends then
 * (my-giving.test.ts): tests of gifts that run on over the months of their test clocks, told
 * of their next charges, are about an appeal without one.
 */
export async function withoutDeadlines(db: Db): Promise<void> {
  await db.execute(sql`UPDATE appeals SET deadline_at = NULL`);
}
