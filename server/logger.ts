import type { LoggerOptions } from 'pino';

// Secrets and personal data never reach the logs: auth headers, cookies, Stripe signatures and
// keys, and any field that holds an email address or a donor's name.
const sensitiveKeys = [
  'email',
  'customer_email',
  'donorEmail',
  'donorName',
  'password',
  'secret',
  'token',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'DATABASE_URL',
  'SMTP_URL',
];

// Each sensitive key is redacted at the top of a log line and one level down.
export const redactedPaths = [
  ...sensitiveKeys,
  ...sensitiveKeys.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      // Query strings can carry tokens (sign-in links): log the path only.
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
}
