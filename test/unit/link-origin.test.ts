import { describe, expect, it } from 'vitest';
import { linkOriginOf } from '../../server/origins';
import { testConfig } from '../helpers/config';

// The integration tests drive this through Checkout, the card portal and the sign-in mail; here
// every branch at once, so a change to the rule shows which case it moved.
describe('the origin a link for a browser opens at', () => {
  const demo = testConfig({ PORT: '3000' });
  const production = testConfig({ PORT: '3000', PUBLIC_URL: 'https://give.example.org' });

  it('in the demo, keeps the local name the page was opened at', () => {
    expect(linkOriginOf(demo, 'http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(linkOriginOf(demo, 'http://localhost:3000')).toBe('http://localhost:3000');
  });

  it('in the demo, answers localhost for another site, another port or no Origin', () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:3001', 'null', '', null, undefined]) {
      expect(linkOriginOf(demo, origin), String(origin)).toBe('http://localhost:3000');
    }
  });

  it('with PUBLIC_URL set, always answers PUBLIC_URL', () => {
    for (const origin of ['https://give.example.org', 'http://127.0.0.1:3000', 'http://localhost:3000', 'https://evil.example', null]) {
      expect(linkOriginOf(production, origin), String(origin)).toBe('https://give.example.org');
    }
  });
});
