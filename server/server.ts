import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../db/client';
import { seedDemoData } from '../db/seed';
import { buildApp } from './app';
import { platformOrganizationProblem } from './auth/permissions';
import { startJobs } from './jobs';
import { startMetricsServer } from './metrics/server';
import { setUpStripe } from './payments/setup';
import type { StripeEmulator } from './stripe-emulator/index';
import { ConfigError, publicUrlOf, type Config } from './config';
import { demoGiftsUnfinished, startDemoGifts } from './demo-gifts';

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  emulator?: StripeEmulator;
  url: string;
  stop(): Promise<void>;
}

/** Opens the database, migrates, seeds demo data when asked, and listens. */
export async function startServer(config: Config, opts: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: config.DATABASE_POOL_MAX });
  // What is open so far, closed (last opened first) when start-up fails: an emulator or a database
  // left open would keep the process running, and the embedded database's lock held, after the error.
  const opened: Array<() => Promise<unknown>> = [() => database.close()];
  try {
    await database.migrate();
    const { stripe, emulator } = await setUpStripe(config).catch((err: unknown) => {
      throw portInUse(err, `STRIPE_EMULATOR_PORT: ${config.STRIPE_EMULATOR_PORT} is already in use: stop what uses it (another npm start?), or choose another, e.g. STRIPE_EMULATOR_PORT=${config.STRIPE_EMULATOR_PORT + 1}`);
    });
    if (emulator) opened.unshift(() => emulator.close());
    const app = await buildApp({ config, database, stripe });
    opened.unshift(() => app.close());
    const seeded = config.seedDemo && (await seedDemoData(database.db)).seeded;
    if (seeded) app.log.info('seeded the demo federation, UE Local 222 and Buck-a-Brick (demo data)');
    const noPlatform = await platformOrganizationProblem(database.db, app.platform);
    if (noPlatform) app.log.warn(noPlatform);
    const url = await app.listen({ port: config.PORT, host: config.HOST }).catch((err: unknown) => {
      throw portInUse(err, `PORT: ${config.PORT} is already in use on ${config.HOST}: stop what uses it, or choose another, e.g. PORT=${config.PORT === 4000 ? 4001 : 4000}`);
    });
    const jobs = config.RUN_WORKER ? startJobs({ database, config, log: app.log, stripe: stripe.client }) : undefined;
    if (jobs) opened.unshift(() => jobs.stop());
    app.notifyStripeEventReceived = () => jobs?.wake();
    // After listening: the emulator delivers the gifts' webhooks to this server.
    // Also when an earlier first start seeded the demo and stopped before its gifts were given.
    const demoGifts = config.demoGifts && emulator && (seeded || (await demoGiftsUnfinished(database.db)))
      ? startDemoGifts({ db: database.db, stripe: stripe.client, emulator: emulator.controls, publicUrl: publicUrlOf(config), log: app.log })
      : undefined;
    const metrics = config.METRICS_PORT
      ? await startMetricsServer({ database, host: config.HOST, port: config.METRICS_PORT, log: app.log }).catch(async (err: unknown) => {
          await demoGifts;
          throw portInUse(err, `METRICS_PORT: ${config.METRICS_PORT} is already in use on ${config.HOST}: stop what uses it, or choose another`);
        })
      : undefined;
    // The address the product's links and Stripe's returns use, not the first one bound (127.0.0.1):
    // a page opened at the other name is another origin, and Checkout would send the donor away from it.
    app.log.info({ driver: database.driver, stripe: config.stripeMode, bound: url }, `solidarity-fund listening on ${publicUrlOf(config)}`);
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await demoGifts;
        await app.close();
        await metrics?.close();
        await jobs?.stop();
        await emulator?.close();
        await database.close();
      })());
    if (opts.handleSignals !== false) installShutdown(app, stop, config.SHUTDOWN_GRACE_MS);
    return { app, database, emulator, url, stop };
  } catch (err) {
    for (const close of opened) await close().catch(() => {});
    throw err;
  }
}

/** A port someone else holds is a setting to change, said in one line; any other failure is itself. */
function portInUse(err: unknown, line: string): unknown {
  return (err as { code?: unknown } | null)?.code === 'EADDRINUSE' ? new ConfigError([line]) : err;
}

// Finish in-flight requests on SIGTERM/SIGINT (Fly sends SIGINT), then exit; give up after the grace.
function installShutdown(app: FastifyInstance, stop: () => Promise<void>, graceMs: number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown grace period over; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
