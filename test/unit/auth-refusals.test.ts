import { describe, expect, it } from 'vitest';
import { ourAuthRefusal } from '../../server/auth/refusals';

// better-auth's refusals, said in our error body; the endpoints' own tests are in
// test/integration/sign-in-link-origin.test.ts. These are the ones no request there can provoke.
describe('a better-auth refusal in our error body', () => {
  it('keeps an unknown code, lowercased under auth., and says its own message, not better-auth\'s', () => {
    expect(ourAuthRefusal(403, JSON.stringify({ code: 'SESSION_NOT_FRESH', message: 'No account for ana@example.org' }))).toEqual({
      error: { code: 'auth.session_not_fresh', message: 'The sign-in service refused this request.' },
    });
  });

  it('maps a known code whatever its status, and says a token refused in English', () => {
    expect(ourAuthRefusal(400, JSON.stringify({ code: 'INVALID_TOKEN', message: 'Invalid token' }))).toEqual({
      error: { code: 'auth.invalid_token', message: 'This sign-in link is not valid, or was used already; ask for a new one.' },
    });
  });

  it('says a refusal with no code, or no JSON, by its status', () => {
    expect(ourAuthRefusal(429, JSON.stringify({ message: 'Too many requests. Please try again later.' })).error.code).toBe('rate_limited');
    expect(ourAuthRefusal(404, '').error.code).toBe('not_found');
    expect(ourAuthRefusal(409, 'not json').error).toEqual({ code: 'auth.refused', message: 'The sign-in service refused this request.' });
  });

  it('does not take a code that is not one (no injected text in our code)', () => {
    expect(ourAuthRefusal(403, JSON.stringify({ code: 'a b<script>', message: 'x' })).error.code).toBe('auth.refused');
  });

  it('gives each of several validation issues as details', () => {
    expect(ourAuthRefusal(400, JSON.stringify({ code: 'VALIDATION_ERROR', message: '[body.email] Invalid email address; [body] Too big' }))).toEqual({
      error: { code: 'validation_failed', message: 'The request is not valid.', details: [{ path: '/email', message: 'Invalid email address' }, { path: '/', message: 'Too big' }] },
    });
  });
});
