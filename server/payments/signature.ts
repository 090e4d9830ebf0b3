import { createHmac } from 'node:crypto';

export type SignatureCheck = 'ok' | 'invalid' | 'stale';

/**
 * Stripe's webhook signature check, as `stripe.webhooks.constructEvent` does it, on the raw bytes:
 * the header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` (other schemes ignored); the signature is
 * HMAC-SHA256 with the endpoint secret over `<t>.<body>`; any one matching v1 is enough (Stripe
 * sends two while a secret is rolled); then the timestamp may be at most `toleranceSeconds` old
 * (a timestamp in the future passes, as in the SDK). The SDK decodes the body to a string and
 * concatenates it first; hashing the bytes as they came gives the same digest without the copies,
 * and the caller parses the body once instead of twice.
 */
export function checkStripeSignature(body: Buffer, header: string, secret: string, toleranceSeconds: number, nowMs = Date.now()): SignatureCheck {
  // The SDK's parseHeader: split on ',' then '='; the last `t` wins; parseInt like the SDK.
  let timestamp = -1;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const kv = item.split('=');
    if (kv[0] === 't') timestamp = parseInt(kv[1]!, 10);
    if (kv[0] === 'v1' && kv[1] !== undefined) signatures.push(kv[1]);
  }
  if (timestamp === -1 || signatures.length === 0 || /^[ \t\r\n\f\v]*$/.test(secret)) return 'invalid';
  // The SDK signs `${details.timestamp}.` with the parsed number, so "t=0123" signs "123.".
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  if (!signatures.some((s) => sameString(s, expected))) return 'invalid';
  const ageSeconds = Math.floor(nowMs / 1000) - timestamp;
  return toleranceSeconds > 0 && ageSeconds > toleranceSeconds ? 'stale' : 'ok';
}

/** Constant time for equal lengths, like the SDK's secureCompare (the length is public: 64 hex). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
