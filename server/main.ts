import { runCli } from './cli';
import { loadConfig } from './config';
import { startServer } from './server';

// `npm run serve`: the whole product in one process on the configured port.
await runCli(async () => {
  await startServer(loadConfig());
});
