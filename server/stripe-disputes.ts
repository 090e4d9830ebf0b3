import { runCli } from './cli';
import { loadConfig, publicUrlOf } from './config';
import { openDatabase } from '../db/client';
import { recordOpenDisputes } from './payments/dispute-backfill';
import { createStripeClient } from './payments/stripe-client';
import { platformOf } from './auth/permissions';

// `npm run stripe:disputes`: lists on the treasury page the disputes Stripe has open for this
// app's gifts (run once after upgrading to a version that lists them; safe to run again).
runCli(async () => {
  const config = loadConfig();
  if (!config.STRIPE_SECRET_KEY) {
    process.stdout.write('The app runs on the Stripe emulator (no STRIPE_SECRET_KEY): its disputes all reached the app by webhook. Nothing to do.\n');
    return 0;
  }
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1 });
  try {
    const { recorded, notOurs } = await recordOpenDisputes(
      database.db,
      // The disputes it lists are mailed to the platform's treasurers, as the app and the worker tell them.
      platformOf(config),
      createStripeClient({ secretKey: config.STRIPE_SECRET_KEY }),
      publicUrlOf(config),
    );
    process.stdout.write(`Open disputes of this app's gifts listed for treasurers (and mailed to them when awaiting an answer): ${recorded}.${notOurs ? ` Open disputes of other charges on the account, left alone: ${notOurs}.` : ''}\n`);
    return 0;
  } finally {
    await database.close();
  }
});
