import { loadConfig, type Config } from '../../server/config';
import { platformOf, type Platform } from '../../server/auth/permissions';

/** A config as the app would load it, for tests: quiet logs, no web build, no demo data, and
 * sign-in limits a test that signs in many people never meets. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', SERVE_WEB: 'false', SEED_DEMO: 'false', NODE_ENV: 'test', SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000', SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR: '100000', ...env });
}

/** The platform testConfig() names (PLATFORM_ORGANIZATION unset: the only top-level organization), for the poster and jobs a test runs without an app. */
export const testPlatform: Platform = platformOf({});
