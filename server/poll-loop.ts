import type { FastifyBaseLogger } from 'fastify';
import { safeError } from './safe-error';

export interface PollLoop {
  /** Runs the work now instead of at the next poll (new work just arrived). */
  wake(): void;
  /** Finishes the round under way, then stops. */
  stop(): Promise<void>;
}

/**
 * A background job's loop: run `work` again at once while it reports more to do, otherwise sleep
 * until woken or until the poll interval passes. A failure is logged and waits for the next round.
 */
export function startPollLoop(opts: {
  name: string;
  pollMs: number;
  log: FastifyBaseLogger;
  work: (loop: { stopping: () => boolean }) => Promise<{ more: boolean }>;
  /** False for a job new webhooks bring no work to: it runs on its poll only. */
  wakeable?: boolean;
}): PollLoop {
  let stopped = false;
  let wake: (() => void) | undefined;
  // A wake that comes while a round is under way: that round may have read its work before the new
  // work arrived, so another follows at once instead of the poll's sleep.
  let wokenDuringRound = false;
  const loop = (async () => {
    while (!stopped) {
      wokenDuringRound = false;
      wake = undefined;
      try {
        if ((await opts.work({ stopping: () => stopped })).more) continue;
      } catch (err) {
        // A failed query's own message carries its parameters (addresses, names): never logged as is.
        opts.log.error({ err: safeError(err) }, `${opts.name} failed`);
      }
      if (wokenDuringRound) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, opts.pollMs).unref();
      });
    }
  })();
  const wakeNow = () => {
    if (wake) wake();
    else wokenDuringRound = true;
  };
  return {
    wake: () => {
      if (opts.wakeable !== false) wakeNow();
    },
    stop: async () => {
      stopped = true;
      wakeNow();
      await loop;
    },
  };
}
