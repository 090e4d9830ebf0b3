import { expect, vi } from 'vitest';
import { rawClient, type RawSql } from './ledger-raw';

export interface HeldLock {
  /** A connection of its own, for looking at the locks meanwhile. */
  probe: RawSql;
  /** Resolves once some statement of this database waits on a lock (the one held, presumably). */
  waitedOn(): Promise<void>;
  release(): Promise<void>;
  end(): Promise<void>;
}

/**
 * Rows held locked from another connection, as another poster's batch holds them while it
 * commits: `lockStatement` (a `SELECT … FOR UPDATE`) runs in a transaction left open until
 * `release`.
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
    waitedOn: () =>
      vi.waitFor(async () => {
        const [w] = await probe`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`;
        expect(w!.n).toBeGreaterThan(0);
      }, { timeout: 10_000, interval: 50 }),
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
