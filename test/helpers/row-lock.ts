import { expect, vi } from 'vitest';
import { rawClient, type RawSql } from './ledger-raw';

export interface HeldLock {
  /** A connection of its own, for looking at the locks meanwhile. */
  probe: RawSql;
  /** Resolves once `statements` (1 unless said) of this database wait on a lock (the one held, presumably). */
  waitedOn(statements?: number): Promise<void>;
  release(): Promise<void>;
  end(): Promise<void>;
}

/**
 * Rows held locked from another connection, as another poster's batch or another person's edit
 * holds them until it commits: `lockStatement` (a `SELECT … FOR UPDATE`, or the other edit's
 * `UPDATE`) runs in a transaction left open until `release`, which commits it.
 */
export async function holdLock(url: string, lockStatement: string, params: (string | number)[]): Promise<HeldLock> {
  const holder = rawClient(url, 1);
  const probe = rawClient(url, 1);
  let release!: () => void;
  let held!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const holds = new Promise<void>((r) => (held = r));
  const holding = holder.begin(async (tx) => {
    await tx.unsafe(lockStatement, params);
    held();
    await released;
  });
  await holds;
  return {
    probe,
    waitedOn: (statements = 1) =>
      vi.waitFor(async () => {
        const [w] = await probe`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`;
        expect(w!.n).toBeGreaterThanOrEqual(statements);
      }, { timeout: 10_000, interval: 20 }),
    release: async () => {
      release();
      await holding;
    },
    end: async () => {
      await holder.end({ timeout: 5 });
      await probe.end({ timeout: 5 });
    },
  };
}

/**
 * Starts `requests` while `lock` is held, commits it once every one of them waits on it, and
 * answers what they answered: requests made at the same moment (two clicks, two organizers), each
 * past its own reads and queued on the row, so that they meet in a known order.
 */
export async function meetingAt<T>(lock: HeldLock, requests: (() => Promise<T>)[]): Promise<T[]> {
  try {
    const started = requests.map((r) => r());
    await lock.waitedOn(started.length);
    await lock.release();
    return await Promise.all(started);
  } finally {
    await lock.end();
  }
}
