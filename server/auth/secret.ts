import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config';

/**
 * The session-signing secret: AUTH_SECRET when set (production requires it); embedded mode keeps
 * its own in DATA_DIR so sign-ins survive a restart; otherwise (tests, development against
 * Postgres) one made up for this process.
 */
export function resolveAuthSecret(config: Config): string {
  if (config.AUTH_SECRET) return config.AUTH_SECRET;
  if (!config.embedded) return randomBytes(32).toString('hex');
  const dir = resolve(config.DATA_DIR);
  const file = join(dir, 'auth-secret');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch {
    // first start: no secret yet
  }
  mkdirSync(dir, { recursive: true });
  const made = randomBytes(32).toString('hex');
  writeFileSync(file, made, { mode: 0o600 });
  return made;
}
