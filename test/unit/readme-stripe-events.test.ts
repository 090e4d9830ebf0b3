import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { handlers } from '../../server/payments/handlers/index';

// An operator subscribes their Stripe endpoint to the README's list: an event missing from it is
// one Stripe never sends, and the gifts it ends or posts would stay pending in production.
describe("the README's Stripe endpoint settings", () => {
  it('names exactly the events the poster handles', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- stripe-events:[^>]*-->([\s\S]*?)<!-- \/stripe-events -->/.exec(readme);
    expect(block, 'the README marks its list with <!-- stripe-events --> comments').not.toBeNull();
    const listed = [...block![1]!.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(Object.keys(handlers).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  // The endpoint must send the API version the pinned SDK reads; an SDK upgrade changes it.
  it('names the API version the app reads', () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(`\`${Stripe.API_VERSION}\``);
  });
});
