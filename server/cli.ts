import { DatabaseUnavailable } from '../db/unavailable';
import { ConfigError } from './config';

/** Runs a command-line entry point: a bad setting prints one line per problem, no stack trace. */
export async function runCli(main: () => Promise<void | number>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`solidarity-fund: invalid configuration\n${err.lines.map((l) => `  ${l}`).join('\n')}\n`);
    } else if (err instanceof DatabaseUnavailable) {
      process.stderr.write(`solidarity-fund: ${err.message}\n`);
    } else {
      process.stderr.write(`solidarity-fund: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
