import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run ledger:verify` against `databaseUrl`, as an operator would; resolves with its exit. */
export function runLedgerVerifyCli(databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'ledger:verify'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The one summary line the command prints. */
export const verifySummaryLine =
  /^ledger:verify postgres: (\d+) accounts, (\d+) transactions, (\d+) entries — (every balance equals its entries, every invariant holds|(\d+) problem\(s\))$/m;
