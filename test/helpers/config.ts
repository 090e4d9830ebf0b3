import { loadConfig, type Config } from '../../server/config';

/** A config as the app would load it, for tests: quiet logs, no web build, no demo data. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', SERVE_WEB: 'false', SEED_DEMO: 'false', NODE_ENV: 'test', ...env });
}
