import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openDatabase } from '../../db/client';
import { platformOf } from '../../server/auth/permissions';
import { drainConcurrently, type DrainResult } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { startTsWorker, type TsWorker } from './ts-worker';

/**
 * The poster in worker threads of its own (POSTER_THREADS=n), each with its own pool and its own
 * loops, draining side by side as n poster processes would. The app runs its poster's loops in
 * one thread; this measures what the drain would gain if its JavaScript had a second core,
 * apart from what each event costs.
 */
export interface PosterThreads {
  /** Every thread drains until nothing is claimable; their results summed. */
  drain(): Promise<DrainResult>;
  close(): Promise<void>;
}

interface Options {
  databaseUrl: string;
  stripeHost: { host: string; port: number; protocol: 'http' };
  loops: number;
  batchSize: number;
  poolMax: number;
}

const role = 'bench-poster-thread';

export function startPosterThreads(count: number, opts: Options): PosterThreads {
  const workers: TsWorker[] = Array.from({ length: count }, () => startTsWorker(import.meta.url, { role, opts }));
  return {
    async drain() {
      const drained = await Promise.all(workers.map((w) => w.ask<DrainResult>('drain')));
      return drained.reduce((a, b) => ({ claimed: a.claimed + b.claimed, processed: a.processed + b.processed, failed: a.failed + b.failed }));
    },
    async close() {
      await Promise.all(workers.map((w) => w.ask('close').then(() => w.close())));
    },
  };
}

/** The thread's side: drains on 'drain' and answers with the result; closes its pool on 'close'. */
async function servePoster(opts: Options): Promise<void> {
  const database = await openDatabase({ databaseUrl: opts.databaseUrl, poolMax: opts.poolMax });
  const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: opts.stripeHost });
  const deps = { db: database.db, stripe, log: pino({ level: 'silent' }), platform: platformOf({}) };
  parentPort!.on('message', async (message: 'drain' | 'close') => {
    if (message === 'close') await database.close().then(() => parentPort!.postMessage('closed'));
    else parentPort!.postMessage(await drainConcurrently(deps, { loops: opts.loops, batchSize: opts.batchSize }));
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === role) {
  void servePoster((workerData as { opts: Options }).opts);
}
