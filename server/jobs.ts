import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client';
import { publicUrlOf, type Config } from './config';
import { platformOf } from './auth/permissions';
import type Stripe from 'stripe';
import { startPoster } from './payments/poster';
import { startFundsAvailable } from './payments/funds-available';
import { startDisputeReminders } from './payments/dispute-reminders';
import { startRefundAskJob } from './payments/refund-ask-job';
import { startMailSender } from './mail/sender';
import { startMailRetention } from './mail/retention';
import { closeExpiredAppeals } from './appeals/manage-service';
import { startClosedAppealGifts } from './appeals/closed-appeal-gifts';
import { startClosedAppealCheckouts } from './appeals/closed-appeal-checkouts';
import { wakeOnAppealClosed } from './appeals/closed-appeal-wake';
import { startPollLoop } from './poll-loop';
import { startStaleHtmlJob } from './content/stale-html';

export interface RunningJobs {
  /** Nudges the jobs that wait for new work (a webhook just stored an event). */
  wake(): void;
  stop(): Promise<void>;
}

type Job = (deps: { database: Database; config: Config; log: FastifyBaseLogger; stripe?: Stripe }) => RunningJobs | undefined;

/**
 * Background work (posting Stripe events to the ledger, scheduled jobs). It runs inside the app
 * process by default (RUN_WORKER=true) and in Fly's `worker` process group at scale.
 */
export const jobs: Job[] = [
  // The poster: Stripe events from the inbox into the ledger.
  // PGlite is one connection: a second loop would only wait for the first's transaction.
  ({ database, config, stripe, log }) =>
    stripe ? startPoster({ db: database.db, stripe, log, publicUrl: publicUrlOf(config), platform: platformOf(config) }, database.driver === 'pglite' ? { loops: 1 } : {}) : undefined,
  // Gifts' money moves from stripe:pending to stripe:available on the day Stripe makes it available.
  ({ database, stripe, log }) => (stripe ? startFundsAvailable({ db: database.db, log }) : undefined),
  // Disputes still awaiting an answer two days before it is due: their treasurers are reminded.
  ({ database, config, stripe, log }) => (stripe ? startDisputeReminders({ db: database.db, platform: platformOf(config), publicUrl: publicUrlOf(config), log }) : undefined),
  // Refund asks whose answer from Stripe was never seen (a crash, a timeout) are finished, or expire.
  ({ database, stripe, log }) => (stripe ? startRefundAskJob({ db: database.db, stripe, log }) : undefined),
  // The mail sender: the outbox by SMTP (embedded mode keeps mail for the dev mail page).
  ({ database, config, log }) =>
    config.SMTP_URL ? startMailSender({ db: database.db, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log }) : undefined,
  // Sent mail is emptied after MAIL_KEEP_DAYS (only sent mail: embedded mode keeps its outbox for the dev page).
  ({ database, config, log }) => (config.SMTP_URL ? startMailRetention({ db: database.db, keepDays: config.MAIL_KEEP_DAYS, log }) : undefined),
  // Appeals whose deadline passed close on their own (a batch at a time, each audited).
  ({ database, log }) =>
    startPollLoop({ name: 'appeal deadlines', pollMs: 30_000, log, work: async () => ({ more: (await closeExpiredAppeals(database.db, 100)) === 100 }) }),
  // Stories and updates an older renderer made are rendered again by this one (after a deploy).
  ({ database, log }) => startStaleHtmlJob({ db: database.db, log }),
  // An appeal that closed: its monthly gifts end at Stripe, and their donors are told; its checkouts
  // still open are expired at Stripe (no gift after the close). Both run as soon as a close commits
  // in any process (the API closes, the worker runs them), and at their poll.
  ({ database, config, stripe, log }) =>
    stripe
      ? wakeOnAppealClosed(database, log, [
          startClosedAppealGifts({ db: database.db, runAlone: database.runAlone, stripe, publicUrl: publicUrlOf(config), log }),
          startClosedAppealCheckouts({ db: database.db, runAlone: database.runAlone, stripe, log }),
        ])
      : undefined,
];

export function startJobs(deps: Parameters<Job>[0]): RunningJobs {
  const running = jobs.map((job) => job(deps)).filter((r): r is RunningJobs => r !== undefined);
  return {
    wake: () => running.forEach((r) => r.wake()),
    stop: async () => void (await Promise.all(running.map((r) => r.stop()))),
  };
}
