// Applies the committed drizzle-kit migrations: `npm run db:migrate`, and Fly's release_command.
import { loadConfig } from '../server/config';
import { runCli } from '../server/cli';
import { openDatabase } from './client';

await runCli(async () => {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await database.migrate();
    const state = await database.migrationState();
    process.stdout.write(`migrations: ${state.applied} of ${state.shipped} applied (${database.driver})\n`);
  } finally {
    await database.close();
  }
});
