import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, DbOrTx } from '../../db/client';
import type { RunningJobs } from '../jobs';
import type { PollLoop } from '../poll-loop';
import { safeError } from '../safe-error';

/*
 * The jobs that act on a close (expiring its open checkouts, ending its monthly gifts) run in the
 * worker, and the close happens in the API: another process at scale. A close tells every process
 * on the database through Postgres NOTIFY, sent inside the closing transaction so that it is
 * delivered only once the close commits (and never if it rolls back). PGlite delivers it in
 * process, after the commit all the same. A notification lost (the worker reconnecting) costs no
 * more than the jobs' own poll, which goes on as before.
 */
export const appealClosedChannel = 'appeal_closed';

/** Inside the transaction that closes the appeal. */
export async function notifyAppealClosed(tx: DbOrTx, appealId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${appealClosedChannel}, ${appealId})`);
}

/**
 * Wakes `loops` whenever an appeal closes in any process, and each time the listen (re)starts: a
 * close whose notification came while nobody listened is found by that round.
 */
export function wakeOnAppealClosed(database: Database, log: FastifyBaseLogger, loops: PollLoop[]): RunningJobs {
  const wake = () => loops.forEach((loop) => loop.wake());
  const listening = database.listen(appealClosedChannel, wake, wake).catch((err: unknown) => {
    log.error({ err: safeError(err) }, 'could not listen for closed appeals; their jobs run at their poll only');
    return undefined;
  });
  return {
    wake,
    stop: async () => {
      await (await listening)?.close();
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
