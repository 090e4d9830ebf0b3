import { unauthorized } from './errors';

const KEY = /^(sk|rk)_test_[A-Za-z0-9_]+$/;

// Stripe's rules as seen by the SDK: a Bearer (or Basic) secret key, test mode only here.
export function checkApiKey(header: string | undefined, expected: string | undefined): string {
  const key = keyFromHeader(header);
  if (!key) {
    throw unauthorized(
      'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (!KEY.test(key) || (expected !== undefined && key !== expected)) {
    throw unauthorized(`Invalid API Key provided: ${redact(key)}`);
  }
  return key;
}

function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

/** Never echo a key: Stripe shows only its prefix and last four characters. */
export function redact(key: string): string {
  const prefix = key.slice(0, key.indexOf('_', 3) + 1);
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - 4))}${key.slice(-4)}`;
}
