import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client';
import type { Config } from './config';

export interface RunningJobs {
  stop(): Promise<void>;
}

type Job = (deps: { database: Database; config: Config; log: FastifyBaseLogger }) => RunningJobs;

/**
 * Background work (posting Stripe events to the ledger, scheduled jobs). It runs inside the app
 * process by default (RUN_WORKER=true) and in Fly's `worker` process group at scale.
 */
export const jobs: Job[] = [];

export function startJobs(deps: Parameters<Job>[0]): RunningJobs {
  const running = jobs.map((job) => job(deps));
  return { stop: async () => void (await Promise.all(running.map((r) => r.stop()))) };
}
