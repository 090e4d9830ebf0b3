import { createHmac } from 'node:crypto';

// Stripe's scheme: v1 = hex HMAC-SHA256 of "<unix seconds>.<raw body>" keyed with the endpoint secret.
export function signatureHeader(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
