import fc from 'fast-check';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { checkStripeSignature } from '../../server/payments/signature';

// The webhook checks signatures itself (on the raw bytes, parsing the body once); these tests hold
// it to the check inside the SDK's constructEvent, always with an explicit tolerance, case by case.
const stripe = new Stripe('sk_test_unit');
const secret = 'whsec_unit_test_secret';
const body = JSON.stringify({ id: 'evt_1', object: 'event', data: { object: { id: 'cs_1', name: 'Zoë ✊' } } });
const now = Math.floor(Date.now() / 1000);
const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}) =>
  stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? secret, timestamp: opts.timestamp ?? now });

/** What the SDK's check (constructEvent's first step, before it parses) says: ok, stale, or invalid. */
function sdk(payload: string, header: string, tolerance = 300): string {
  try {
    stripe.webhooks.signature!.verifyHeader(payload, header, secret, tolerance);
    return 'ok';
  } catch (err) {
    return /tolerance zone/.test((err as Error).message) ? 'stale' : 'invalid';
  }
}

const ours = (payload: string, header: string, tolerance = 300) => checkStripeSignature(Buffer.from(payload), header, secret, tolerance);

describe('checkStripeSignature agrees with the SDK', () => {
  const v1 = (header: string) => header.split(',').find((p) => p.startsWith('v1='))!;
  const cases: [string, string, string][] = [
    ['a fresh signature', body, sign(body)],
    ['another body under the same signature', body.replace('cs_1', 'cs_2'), sign(body)],
    ['another secret', body, sign(body, { secret: 'whsec_other' })],
    ['a signature 301 s old', body, sign(body, { timestamp: now - 301 })],
    ['a signature 290 s old', body, sign(body, { timestamp: now - 290 })],
    ['a timestamp in the future', body, sign(body, { timestamp: now + 3600 })],
    ['a rolled secret: the second v1 matches', body, `t=${now},v1=${'0'.repeat(64)},${v1(sign(body))}`],
    ['v0 only (the test-mode scheme we ignore)', body, sign(body).replace('v1=', 'v0=')],
    ['no timestamp', body, v1(sign(body))],
    ['no signature', body, `t=${now}`],
    ['an upper-case signature', body, sign(body).replace(/v1=([0-9a-f]+)/, (_m, h: string) => `v1=${h.toUpperCase()}`)],
    ['a timestamp with leading zeros', body, sign(body).replace('t=', 't=0')],
    ['an empty header', body, ''],
  ];
  it.each(cases)('%s', (_name, payload, header) => {
    expect(ours(payload, header)).toBe(sdk(payload, header));
  });

  it('skips the age check with tolerance 0, like the SDK', () => {
    const old = sign(body, { timestamp: now - 10_000 });
    expect(ours(body, old, 0)).toBe(sdk(body, old, 0));
    expect(ours(body, old, 0)).toBe('ok');
  });

  // Any body and any header the property generates: the same verdict as the SDK.
  it('matches the SDK on arbitrary bodies and mangled headers', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 20 }), (payload, skew, junk) => {
        const header = sign(payload || '{}', { timestamp: now - skew });
        for (const h of [header, `${header},${junk}`, `${junk},${header}`]) {
          expect(ours(payload || '{}', h)).toBe(sdk(payload || '{}', h));
        }
      }),
      { numRuns: 300 },
    );
  });
});
