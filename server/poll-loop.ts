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
  const loop = (async () => {
    while (!stopped) {
      try {
        if ((await opts.work({ stopping: () => stopped })).more) continue;
      } catch (err) {
        // A failed query's own message carries its parameters (addresses, names): never logged as is.
        opts.log.error({ err: safeError(err) }, `${opts.name} failed`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, opts.pollMs).unref();
      });
    }
  })();
  return {
    wake: () => {
      if (opts.wakeable !== false) wake?.();
    },
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
