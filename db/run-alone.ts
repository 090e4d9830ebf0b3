import type { Sql } from 'postgres';

/** What a run answers: the work's value, or that it did not run because another run held the name. */
export type AloneResult<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `work` unless work under the same name is running already; a run never waits for the other
 * (that one is doing the work), it answers `{ ran: false }`. The name is let go of when the work
 * ends, by value or by error.
 */
export type RunAlone = <T>(name: string, work: () => Promise<T>) => Promise<AloneResult<T>>;

const notRun = { ran: false } as const;

/**
 * One run at a time in this process. All PGlite needs: its data directory is locked to one
 * process (lockDirectory), and its one connection would make a session lock re-entrant anyway.
 */
export function runAloneInProcess(): RunAlone {
  const held = new Set<string>();
  return async (name, work) => {
    if (held.has(name)) return notRun;
    held.add(name);
    try {
      return { ran: true, value: await work() };
    } finally {
      held.delete(name);
    }
  };
}

/**
 * One run at a time across every process on the database: a session advisory lock on the name,
 * tried (pg_try_advisory_lock) and held until the work ends. It is held on a connection of its own,
 * not one of the pool's: a pooled connection pinned for a run would take from a small pool
 * (DATABASE_POOL_MAX may be 1) the connection the work itself needs, and an advisory lock held by a
 * transaction would keep that transaction open while the work waits on Stripe. A session lock is
 * re-entrant, so runs in this process are kept apart in process first.
 *
 * Should that connection be lost mid-run, the lock goes with it and another process may start the
 * same work: the work must stay safe to repeat (idempotency keys). The lock keeps it from being
 * done twice as a rule, which is what it is for.
 */
export function runAloneOnPostgres(connect: () => Sql): { runAlone: RunAlone; close(): Promise<void> } {
  const inProcess = runAloneInProcess();
  let connection: Sql | undefined;
  const runAlone: RunAlone = async (name, work) => {
    const outcome = await inProcess(name, async () => {
      const conn = (connection ??= connect());
      const [lock] = await conn<{ held: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${name}, 0)) AS held`;
      if (!lock?.held) return notRun;
      try {
        return { ran: true as const, value: await work() };
      } finally {
        await conn`SELECT pg_advisory_unlock(hashtextextended(${name}, 0))`.catch(async () => {
          // A lock that could not be let go of must not outlive the run: ending the session does it.
          if (connection === conn) connection = undefined;
          await conn.end({ timeout: 5 }).catch(() => {});
        });
      }
    });
    return outcome.ran ? outcome.value : notRun;
  };
  return {
    runAlone,
    close: async () => {
      await connection?.end({ timeout: 5 });
    },
  };
}
