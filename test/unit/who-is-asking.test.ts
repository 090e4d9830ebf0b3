import { describe, expect, it } from 'vitest';
import { readWhoIsAsking } from '../../web/src/lib/server/who-is-asking';

// A failed GET /api/me was read as "signed out", so an organizer opening her pages while the API was
// briefly down was sent to sign in. Only the API's own 401 is signed out; every other failure is
// "not known", with the status the pages that need a signed-in person answer with.
const answer = (status: number, body: unknown = { error: { code: 'x', message: 'x' } }) => Response.json(body, { status });
const me = { user: { id: 'u1', email: 'organizer@ue222.demo', name: 'Organizer', locale: null }, memberships: [] };

describe('what /api/me says about who is asking', () => {
  it('a person, when it answers with one', async () => {
    expect(await readWhoIsAsking(answer(200, me))).toEqual({ me });
  });

  it('signed out only when the API says the session is missing or ended', async () => {
    expect(await readWhoIsAsking(answer(401))).toEqual({ signedOut: true });
  });

  it('not known when the API failed, was busy or answered what is no person', async () => {
    expect(await readWhoIsAsking(answer(502))).toEqual({ unknown: 502 });
    expect(await readWhoIsAsking(answer(500))).toEqual({ unknown: 502 });
    expect(await readWhoIsAsking(answer(503))).toEqual({ unknown: 503 });
    expect(await readWhoIsAsking(answer(429))).toEqual({ unknown: 503 });
    expect(await readWhoIsAsking(new Response('<html>proxy error</html>', { status: 200 }))).toEqual({ unknown: 502 });
  });
});
