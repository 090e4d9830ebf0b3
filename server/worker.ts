// `npm run worker`: background jobs without the HTTP server (Fly's `worker` process group).
import pino from 'pino';
import { openDatabase } from '../db/client';
import { platformOf, platformOrganizationProblem } from './auth/permissions';
import { runCli } from './cli';
import { loadConfig } from './config';
import { startJobs } from './jobs';
import { loggerOptions } from './logger';
import { startMetricsServer } from './metrics/server';
import { assertWorkerStripe, workerStripe } from './payments/setup';

await runCli(async () => {
  const config = loadConfig();
  const log = pino(loggerOptions(config.LOG_LEVEL));
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: config.DATABASE_POOL_MAX });
  // Without Stripe the jobs that need it (the ledger's poster above all) would not start at all.
  const stripe = workerStripe(config);
  await assertWorkerStripe(config, stripe, config.WORKER_STRIPE_WAIT_SECONDS * 1000).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  // Before the app's first start has migrated, there are no organizations to say anything of.
  const noPlatform = await platformOrganizationProblem(database.db, platformOf(config)).catch(() => null);
  if (noPlatform) log.warn(noPlatform);
  const running = startJobs({ database, config, log, stripe });
  const metrics = config.METRICS_PORT ? await startMetricsServer({ database, host: config.HOST, port: config.METRICS_PORT, log }) : undefined;
  log.info('worker started');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await metrics?.close();
  await running.stop();
  await database.close();
});
