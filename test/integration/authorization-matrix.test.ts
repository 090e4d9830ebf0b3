import { createHash, randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appealTranslations, appealUpdateTranslations, appealUpdates, appeals, campaignAppeals, campaigns, donations, invitations, ledgerAccounts, memberships, organizations, users } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { linkFromMail, signInAs } from '../helpers/sign-in';
import { issueStopTokens } from '../../server/appeals/update-stops';

/*
 * Who may call what, for every route the app has. The route list comes from Fastify itself (the
 * app's onRoute option), so a route added without a row here fails the first test. Each cell is
 * one call as one person; a refused call must also leave every table exactly as it was.
 *
 * The people, all around one local ("local A") of a union of the demo federation:
 *   anonymous; member, organizer, treasurer and admin of local A; organizer of local B (a sibling);
 *   a platform treasurer (treasurer of the top-level federation, grant NOT reaching descendants);
 *   the treasurer of another top-level federation in the same deployment (grant reaching its
 *   descendants), which PLATFORM_ORGANIZATION does not name: no platform treasurer, no reach into ours;
 *   a union organizer whose grant reaches descendants (so local A's drives are theirs too).
 */

const roles = ['anonymous', 'member', 'organizer', 'otherOrganizer', 'treasurer', 'platformTreasurer', 'otherFederationTreasurer', 'admin', 'unionOrganizer'] as const;
type Role = (typeof roles)[number];
type Status = 200 | 201 | 202 | 204 | 302 | 400 | 401 | 403 | 404;
type Expectation = Record<Role, Status>;

interface Case {
  /** `METHOD /path` exactly as Fastify registered it. */
  route: string;
  /** When one route has several rows (a draft and a live appeal, say). */
  variant?: string;
  /** The call one person makes; may create fresh rows first (before the snapshot). */
  request: (role: Role) => Promise<InjectOptions> | InjectOptions;
  expect: Expectation;
  /** The call reaches Stripe: wait for its webhooks before comparing tables. */
  stripe?: boolean;
}

const all = (s: Status): Expectation => Object.fromEntries(roles.map((r) => [r, s])) as Expectation;
const signedIn = (s: Status): Expectation => ({ ...all(s), anonymous: 401 });
/** The organizer role on local A: its organizers, its admin (admin satisfies organizer), and a grant above that reaches down. */
const organizerOfA = (ok: Status): Expectation => ({ ...all(403), anonymous: 401, organizer: ok, admin: ok, unionOrganizer: ok });
const adminOfA = (ok: Status): Expectation => ({ ...all(403), anonymous: 401, admin: ok });
const platformTreasurer = (ok: Status): Expectation => ({ ...all(403), anonymous: 401, platformTreasurer: ok });

let h: PaymentsHarness;
const registered: string[] = [];
const cookies = {} as Record<Role, string | null>;
const ids = {} as { federation: string; union: string; localA: string; localB: string; otherFederation: string };
let giftId: string;
/** The gift's Checkout Session at Stripe: a treasurer finds the gift from it. */
let giftSessionId: string;
let refundGiftId: string;
let appealAccountId: string;
let sequence = 0;
const next = (prefix: string) => `${prefix}-${++sequence}-${randomBytes(3).toString('hex')}`;

/** A sign-in link's token, not used yet, for a fresh address. */
async function signInToken(): Promise<string> {
  const email = `${next('link')}@example.org`;
  await h.app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email, callbackURL: '/' } });
  return (await linkFromMail(h.app, email, 'sign_in')).searchParams.get('token')!;
}

/** A stop link's token for a fresh address on the live appeal, as an update mail carries. */
async function stopToken(): Promise<string> {
  const [a] = await db().select().from(appeals).where(eq(appeals.slug, 'a-live'));
  const [token] = await issueStopTokens(db(), a!.id, [`${next('donor')}@example.org`]);
  return token!;
}
let liveUpdate: Promise<string> | undefined;
/** One update of the live appeal, in English, whose translations the organizers write. */
function liveUpdateId(): Promise<string> {
  liveUpdate ??= (async () => {
    const [a] = await db().select().from(appeals).where(eq(appeals.slug, 'a-live'));
    const [u] = await db().insert(appealUpdates).values({ appealId: a!.id, language: 'en', title: 'Walls up', bodyMarkdown: 'Thanks.', bodyHtml: '<p>Thanks.</p>' }).returning();
    return u!.id;
  })();
  return liveUpdate;
}
/** A fresh update of the live appeal, in English, with a German translation: one to correct or untranslate per call. */
async function freshLiveUpdate(): Promise<string> {
  const [a] = await db().select().from(appeals).where(eq(appeals.slug, 'a-live'));
  const [u] = await db().insert(appealUpdates).values({ appealId: a!.id, language: 'en', title: 'Walls up', bodyMarkdown: 'Thanks.', bodyHtml: '<p>Thanks.</p>' }).returning();
  await db().insert(appealUpdateTranslations).values({ updateId: u!.id, language: 'de', title: 'Die Mauern stehen', bodyMarkdown: 'Danke.', bodyHtml: '<p>Danke.</p>' });
  return u!.id;
}
let unpaid: Promise<{ donationId: string; resumeKey: string }> | undefined;
/** One gift left unpaid, and the key its start answered. */
function unpaidGift(): Promise<{ donationId: string; resumeKey: string }> {
  unpaid ??= h.app
    .inject({ method: 'POST', url: '/api/appeals/a-live/donations', payload: { amountMinor: '1000', donorEmail: 'unpaid@example.org', idempotencyKey: next('unpaid') } })
    .then((res) => res.json());
  return unpaid;
}
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const webhookSecret = 'whsec_test_harness_secret';

const db = () => h.testDb.database.db;

async function freshAppeal(status: 'draft' | 'live', organizationId = ids.localA): Promise<string> {
  const slug = next(`m-${status}`);
  await db()
    .insert(appeals)
    .values({ slug, organizationId, title: `Matrix ${slug}`, beneficiary: 'Strikers', currency: 'USD', goalMinor: 100_000n, status, publishedAt: status === 'live' ? new Date() : null });
  return slug;
}

async function freshCampaign(status: 'draft' | 'live', withAppeal?: string): Promise<string> {
  const slug = next(`c-${status}`);
  const [c] = await db().insert(campaigns).values({ slug, organizationId: ids.localA, title: `Campaign ${slug}`, status, publishedAt: status === 'live' ? new Date() : null }).returning();
  if (withAppeal) {
    const [a] = await db().select().from(appeals).where(eq(appeals.slug, withAppeal));
    await db().insert(campaignAppeals).values({ campaignId: c!.id, appealId: a!.id });
  }
  return slug;
}

async function freshMembershipInA(): Promise<string> {
  const email = `${next('someone')}@example.org`;
  const [u] = await db().insert(users).values({ id: randomBytes(12).toString('hex'), email, name: 'Someone' }).returning();
  const [m] = await db().insert(memberships).values({ userId: u!.id, organizationId: ids.localA, role: 'member' }).returning();
  return m!.id;
}

const emailOf = (role: Role) => `matrix-${role.toLowerCase()}@example.org`;
/** Local B's admin, who sends the invitations the people above accept (none of them, so nobody accepts a role they sent). */
const localBAdminEmail = 'matrix-local-b-admin@example.org';

/** An invitation to local B sent to this person's address; returns its token. */
/** A fresh invitation to local A, waiting to be accepted: its id. */
async function waitingInvitationOfA(): Promise<string> {
  const [inviter] = await db().select().from(users).where(eq(users.email, emailOf('admin')));
  const [inv] = await db()
    .insert(invitations)
    .values({ organizationId: ids.localA, email: `${next('waiting')}@example.org`, role: 'member', tokenHash: randomBytes(32).toString('hex'), invitedBy: inviter!.id, expiresAt: new Date(Date.now() + 86_400_000) })
    .returning();
  return inv!.id;
}

async function invitationFor(role: Role): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  // Sent by local B's admin: an invitation gives only what its sender may still give.
  const [inviter] = await db().select().from(users).where(eq(users.email, localBAdminEmail));
  await db()
    .insert(invitations)
    .values({
      organizationId: ids.localB,
      email: emailOf(role),
      role: 'member',
      tokenHash: createHash('sha256').update(token).digest('hex'),
      invitedBy: inviter!.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
  return token;
}

function signedEvent(): { payload: string; signature: string } {
  const payload = JSON.stringify({ id: `evt_${next('matrix').replace(/-/g, '_')}`, object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_matrix', object: 'customer' } } });
  return { payload, signature: h.emulator.client().webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) };
}

/*
 * The matrix. Public reads answer everyone; a draft is hidden (404) even from its own people on
 * the public routes (they use /manage). Writes to a drive need the organizer role on its
 * organization; people and roles need admin; the books need the platform's treasurer.
 */
const matrix: Case[] = [
  // The API documentation and health checks are public: nothing in them is anyone's secret.
  { route: 'GET /api/docs', request: () => ({ url: '/api/docs' }), expect: all(200) },
  { route: 'GET /api/docs/static/index.html', request: () => ({ url: '/api/docs/static/index.html' }), expect: all(302) },
  { route: 'GET /api/docs/static/swagger-initializer.js', request: () => ({ url: '/api/docs/static/swagger-initializer.js' }), expect: all(200) },
  { route: 'GET /api/docs/static/*', request: () => ({ url: '/api/docs/static/swagger-ui.css' }), expect: all(200) },
  { route: 'GET /api/docs/json', request: () => ({ url: '/api/docs/json' }), expect: all(200) },
  { route: 'GET /api/docs/yaml', request: () => ({ url: '/api/docs/yaml' }), expect: all(200) },
  { route: 'GET /healthz', request: () => ({ url: '/healthz' }), expect: all(200) },
  { route: 'GET /readyz', request: () => ({ url: '/readyz' }), expect: all(200) },
  // Unknown API paths are a JSON 404 for everyone, signed in or not.
  { route: 'ALL /api/*', request: () => ({ url: '/api/no-such-thing' }), expect: all(404) },

  // Sign-in itself (better-auth): anyone may ask for a link and follow one (a spent or made-up
  // token is sent back to the site with the error).
  { route: 'GET /api/auth/*', request: () => ({ url: '/api/auth/magic-link/verify?token=not-a-token' }), expect: all(302) },
  // Asked from our own page, as a browser asks (with a session cookie, better-auth wants its Origin).
  { route: 'POST /api/auth/*', request: () => ({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: { origin: 'http://localhost:3000' }, payload: { email: `${next('link')}@example.org`, callbackURL: '/' } }), expect: all(200) },
  // The link's page names the address it signs in as: the token is the credential, no session is asked.
  { route: 'POST /api/sign-in-links/preview', request: async () => ({ method: 'POST', url: '/api/sign-in-links/preview', payload: { token: await signInToken() } }), expect: all(200) },

  // People and roles.
  { route: 'GET /api/me', request: () => ({ url: '/api/me' }), expect: signedIn(200) },
  { route: 'GET /api/organizations', request: () => ({ url: '/api/organizations' }), expect: all(200) },
  { route: 'GET /api/organizations/:slug/members', request: () => ({ url: '/api/organizations/local-a/members' }), expect: adminOfA(200) },
  {
    route: 'POST /api/organizations/:slug/invitations',
    request: () => ({ method: 'POST', url: '/api/organizations/local-a/invitations', payload: { email: `${next('invitee')}@example.org`, role: 'organizer' } }),
    expect: adminOfA(201),
  },
  { route: 'GET /api/organizations/:slug/invitations', request: () => ({ url: '/api/organizations/local-a/invitations' }), expect: adminOfA(200) },
  {
    route: 'DELETE /api/organizations/:slug/invitations/:invitationId',
    request: async () => ({ method: 'DELETE', url: `/api/organizations/local-a/invitations/${await waitingInvitationOfA()}` }),
    expect: adminOfA(204),
  },
  // Anyone signed in may accept an invitation sent to their own address.
  { route: 'POST /api/invitations/accept', request: async (role) => ({ method: 'POST', url: '/api/invitations/accept', payload: { token: await invitationFor(role) } }), expect: signedIn(200) },
  // And read what it offers first.
  { route: 'POST /api/invitations/preview', request: async (role) => ({ method: 'POST', url: '/api/invitations/preview', payload: { token: await invitationFor(role) } }), expect: signedIn(200) },
  {
    route: 'DELETE /api/organizations/:slug/members/:membershipId',
    request: async () => ({ method: 'DELETE', url: `/api/organizations/local-a/members/${await freshMembershipInA()}` }),
    expect: adminOfA(204),
  },
  // The audit log: the organization's admins and treasurers, nobody above unless their grant reaches down.
  { route: 'GET /api/organizations/:slug/audit', request: () => ({ url: '/api/organizations/local-a/audit' }), expect: { ...adminOfA(200), treasurer: 200 } },

  // Public appeal reads.
  { route: 'GET /api/appeals', request: () => ({ url: '/api/appeals' }), expect: all(200) },
  { route: 'GET /api/appeals/:slug', variant: 'live', request: () => ({ url: '/api/appeals/a-live' }), expect: all(200) },
  { route: 'GET /api/appeals/:slug', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft' }), expect: all(404) },
  { route: 'GET /api/appeals/:slug/updates', variant: 'live', request: () => ({ url: '/api/appeals/a-live/updates' }), expect: all(200) },
  { route: 'GET /api/appeals/:slug/updates', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft/updates' }), expect: all(404) },
  { route: 'GET /api/appeals/:slug/wall', variant: 'live', request: () => ({ url: '/api/appeals/a-live/wall' }), expect: all(200) },
  { route: 'GET /api/appeals/:slug/wall', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft/wall' }), expect: all(404) },
  { route: 'GET /api/appeals/:slug/cover', variant: 'live', request: () => ({ url: '/api/appeals/a-live/cover' }), expect: all(200) },
  { route: 'GET /api/appeals/:slug/cover', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft/cover' }), expect: all(404) },

  // Running a drive of local A.
  { route: 'GET /api/organizations/:slug/appeals', request: () => ({ url: '/api/organizations/local-a/appeals' }), expect: organizerOfA(200) },
  {
    route: 'POST /api/organizations/:slug/appeals',
    request: () => ({ method: 'POST', url: '/api/organizations/local-a/appeals', payload: { slug: next('created'), title: 'A new drive', beneficiary: 'Strikers', currency: 'USD', goalMinor: '50000' } }),
    expect: organizerOfA(201),
  },
  { route: 'GET /api/appeals/:slug/manage', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft/manage' }), expect: organizerOfA(200) },
  { route: 'GET /api/appeals/:slug/manage', variant: 'live', request: () => ({ url: '/api/appeals/a-live/manage' }), expect: organizerOfA(200) },
  { route: 'PATCH /api/appeals/:slug', request: () => ({ method: 'PATCH', url: '/api/appeals/a-live', payload: { title: `Retitled ${next('t')}` } }), expect: organizerOfA(200) },
  { route: 'POST /api/appeals/:slug/publish', request: async () => ({ method: 'POST', url: `/api/appeals/${await freshAppeal('draft')}/publish` }), expect: organizerOfA(200) },
  { route: 'POST /api/appeals/:slug/close', request: async () => ({ method: 'POST', url: `/api/appeals/${await freshAppeal('live')}/close` }), expect: organizerOfA(200) },
  {
    route: 'PUT /api/appeals/:slug/translations/:language',
    request: () => ({ method: 'PUT', url: '/api/appeals/a-draft/translations/fr', payload: { title: `Solidarité ${next('fr')}`, storyMarkdown: 'Une histoire.' } }),
    expect: organizerOfA(200),
  },
  {
    route: 'DELETE /api/appeals/:slug/translations/:language',
    request: async () => {
      const slug = await freshAppeal('draft');
      const [a] = await db().select().from(appeals).where(eq(appeals.slug, slug));
      await db().insert(appealTranslations).values({ appealId: a!.id, language: 'de', title: 'Solidarität' });
      return { method: 'DELETE', url: `/api/appeals/${slug}/translations/de` };
    },
    expect: organizerOfA(200),
  },
  { route: 'POST /api/appeals/:slug/updates', request: () => ({ method: 'POST', url: '/api/appeals/a-live/updates', payload: { title: 'Halfway there', bodyMarkdown: 'Thank you all.' } }), expect: organizerOfA(201) },
  // An update's markdown and its translations': written by the drive's organizers, read by them.
  { route: 'GET /api/appeals/:slug/updates/:updateId/manage', request: async () => ({ url: `/api/appeals/a-live/updates/${await liveUpdateId()}/manage` }), expect: organizerOfA(200) },
  {
    route: 'PUT /api/appeals/:slug/updates/:updateId/translations/:language',
    request: async () => ({ method: 'PUT', url: `/api/appeals/a-live/updates/${await liveUpdateId()}/translations/fr`, payload: { title: `Les murs ${next('fr')}`, bodyMarkdown: 'Merci.' } }),
    expect: organizerOfA(200),
  },
  // Correcting an update's language and removing a translation of it: the drive's organizers, as writing one.
  {
    route: 'PUT /api/appeals/:slug/updates/:updateId/language',
    request: async () => ({ method: 'PUT', url: `/api/appeals/a-live/updates/${await freshLiveUpdate()}/language`, payload: { from: 'en', to: 'fr' } }),
    expect: organizerOfA(200),
  },
  // Correcting a posted update's title and text: the drive's organizers, as posting one.
  {
    route: 'PUT /api/appeals/:slug/updates/:updateId/text',
    request: async () => ({
      method: 'PUT',
      url: `/api/appeals/a-live/updates/${await freshLiveUpdate()}/text`,
      payload: { from: { title: 'Walls up', bodyMarkdown: 'Thanks.' }, to: { title: 'Walls up at last', bodyMarkdown: 'Thanks to all of you.' } },
    }),
    expect: organizerOfA(200),
  },
  {
    route: 'DELETE /api/appeals/:slug/updates/:updateId/translations/:language',
    request: async () => ({ method: 'DELETE', url: `/api/appeals/a-live/updates/${await freshLiveUpdate()}/translations/de` }),
    expect: organizerOfA(200),
  },
  { route: 'PATCH /api/appeals/:slug/wall/:donationId', request: () => ({ method: 'PATCH', url: `/api/appeals/a-live/wall/${giftId}`, payload: { messageStatus: 'approved' } }), expect: organizerOfA(204) },
  // Donors' names and addresses: the drive's organizers, not the public and not other locals.
  { route: 'GET /api/appeals/:slug/donors', request: () => ({ url: '/api/appeals/a-live/donors' }), expect: organizerOfA(200) },
  { route: 'GET /api/appeals/:slug/donors.csv', request: () => ({ url: '/api/appeals/a-live/donors.csv' }), expect: organizerOfA(200) },
  // The live stream of a draft is as hidden as the draft (a live appeal's stream is public and never ends, so inject cannot hold it).
  { route: 'GET /api/appeals/:slug/events', variant: 'draft', request: () => ({ url: '/api/appeals/a-draft/events' }), expect: all(404) },

  // A member's own giving: anyone signed in sees their own (here: none); someone else's monthly gift is as good as missing.
  { route: 'PUT /api/me/language', request: () => ({ method: 'PUT', url: '/api/me/language', payload: { locale: 'fr' } }), expect: signedIn(204) },
  { route: 'GET /api/me/donations', request: () => ({ url: '/api/me/donations' }), expect: signedIn(200) },
  { route: 'GET /api/me/donations/:id', request: () => ({ url: `/api/me/donations/${giftId}` }), expect: signedIn(404) },
  { route: 'GET /api/me/monthly', request: () => ({ url: '/api/me/monthly' }), expect: signedIn(200) },
  { route: 'POST /api/me/monthly/:id/cancel', request: () => ({ method: 'POST', url: `/api/me/monthly/${giftId}/cancel` }), expect: signedIn(404) },
  {
    route: 'POST /api/me/monthly/:id/amount',
    request: () => ({ method: 'POST', url: `/api/me/monthly/${giftId}/amount`, payload: { amountMinor: '5000', coverFees: false, idempotencyKey: 'matrix-amount-1' } }),
    expect: signedIn(404),
  },
  {
    route: 'POST /api/me/monthly/:id/pause',
    request: () => ({ method: 'POST', url: `/api/me/monthly/${giftId}/pause`, payload: { months: 2, idempotencyKey: 'matrix-pause-1' } }),
    expect: signedIn(404),
  },
  {
    route: 'POST /api/me/monthly/:id/resume',
    request: () => ({ method: 'POST', url: `/api/me/monthly/${giftId}/resume`, payload: { idempotencyKey: 'matrix-resume-1' } }),
    expect: signedIn(404),
  },
  { route: 'POST /api/me/donations/:id/refund-request', request: () => ({ method: 'POST', url: `/api/me/donations/${giftId}/refund-request`, payload: {} }), expect: signedIn(404) },
  { route: 'POST /api/me/monthly/:id/card-portal', request: () => ({ method: 'POST', url: `/api/me/monthly/${giftId}/card-portal` }), expect: signedIn(404) },
  // A gift's full detail (the donor's contact, every posting) is for whoever reads its ledger lines:
  // the treasurer of the appeal's organization, and the platform's (who reconcile Stripe's charges).
  { route: 'GET /api/donations/:id/detail', request: () => ({ url: `/api/donations/${giftId}/detail` }), expect: { ...all(403), anonymous: 401, treasurer: 200, platformTreasurer: 200 } },
  // Found from a Stripe id only by that treasurer: to anyone else the gift is not there at all.
  { route: 'GET /api/donations/by-stripe-id/:stripeId', request: () => ({ url: `/api/donations/by-stripe-id/${giftSessionId}` }), expect: { ...all(404), anonymous: 401, treasurer: 200, platformTreasurer: 200 } },
  { route: 'PUT /api/appeals/:slug/cover', request: () => ({ method: 'PUT', url: '/api/appeals/a-draft/cover', headers: { 'content-type': 'image/png' }, payload: png }), expect: organizerOfA(204) },

  // Campaigns: live ones are public; a draft is hidden from all but its organizers.
  { route: 'GET /api/campaigns', request: () => ({ url: '/api/campaigns' }), expect: all(200) },
  { route: 'GET /api/campaigns/:slug', variant: 'live', request: () => ({ url: '/api/campaigns/a-campaign' }), expect: all(200) },
  { route: 'GET /api/campaigns/:slug', variant: 'draft', request: () => ({ url: '/api/campaigns/a-draft-campaign' }), expect: { ...all(404), organizer: 200, admin: 200, unionOrganizer: 200 } },
  {
    route: 'POST /api/organizations/:slug/campaigns',
    request: () => ({ method: 'POST', url: '/api/organizations/local-a/campaigns', payload: { slug: next('camp'), title: 'Spring drive' } }),
    expect: organizerOfA(201),
  },
  { route: 'PATCH /api/campaigns/:slug', request: () => ({ method: 'PATCH', url: '/api/campaigns/a-campaign', payload: { summary: `Edited ${next('s')}` } }), expect: organizerOfA(200) },
  { route: 'POST /api/campaigns/:slug/publish', request: async () => ({ method: 'POST', url: `/api/campaigns/${await freshCampaign('draft')}/publish` }), expect: organizerOfA(200) },
  { route: 'POST /api/campaigns/:slug/close', request: async () => ({ method: 'POST', url: `/api/campaigns/${await freshCampaign('live')}/close` }), expect: organizerOfA(200) },
  { route: 'PUT /api/campaigns/:slug/appeals/:appealSlug', request: async () => ({ method: 'PUT', url: `/api/campaigns/${await freshCampaign('draft')}/appeals/a-live` }), expect: organizerOfA(200) },
  {
    route: 'DELETE /api/campaigns/:slug/appeals/:appealSlug',
    request: async () => ({ method: 'DELETE', url: `/api/campaigns/${await freshCampaign('draft', 'a-live')}/appeals/a-live` }),
    expect: organizerOfA(200),
  },

  // The books: Stripe's balances are shared by every organization, so only the platform's treasurers.
  // The platform's treasurer sees every account; local A's treasurer sees local A's accounts (its appeals' money).
  // Another federation's treasurer lists their own federation's accounts (none here), not ours.
  { route: 'GET /api/ledger/accounts', request: () => ({ url: '/api/ledger/accounts' }), expect: { ...platformTreasurer(200), treasurer: 200, otherFederationTreasurer: 200 } },
  { route: 'GET /api/ledger/accounts/:id/statement', request: () => ({ url: `/api/ledger/accounts/${appealAccountId}/statement` }), expect: { ...platformTreasurer(200), treasurer: 200 } },

  // The embedded demo's mail page (registered only without DATABASE_URL and SMTP_URL): open by design.
  { route: 'GET /api/dev/mail', request: () => ({ url: '/api/dev/mail' }), expect: all(200) },

  // Stopping a donor's update mail: the mailed token is the credential, whoever holds it.
  { route: 'GET /api/appeal-updates/stop', request: async () => ({ url: `/api/appeal-updates/stop?token=${await stopToken()}` }), expect: all(200) },
  { route: 'POST /api/appeal-updates/stop', variant: 'issued', request: async () => ({ method: 'POST', url: `/api/appeal-updates/stop?token=${await stopToken()}` }), expect: all(200) },
  { route: 'POST /api/appeal-updates/stop', variant: 'unknown', request: () => ({ method: 'POST', url: `/api/appeal-updates/stop?token=${'A'.repeat(32)}` }), expect: all(404) },

  // Payments. Giving and the thank-you page are public; the webhook is guarded by its signature, not a session.
  {
    route: 'POST /api/appeals/:slug/donations',
    request: () => ({ method: 'POST', url: '/api/appeals/a-live/donations', payload: { amountMinor: '1000', donorEmail: 'giver@example.org', idempotencyKey: next('give') } }),
    expect: all(201),
    stripe: true,
  },
  { route: 'GET /api/donations/:id', request: () => ({ url: `/api/donations/${giftId}` }), expect: all(200) },
  // A gift's typed fields: its resume key is the credential, whoever holds it (the browser that started it).
  {
    route: 'POST /api/donations/:id/resume',
    request: async () => {
      const { donationId, resumeKey } = await unpaidGift();
      return { method: 'POST', url: `/api/donations/${donationId}/resume`, payload: { key: resumeKey } };
    },
    expect: all(200),
  },
  {
    route: 'POST /api/stripe/webhook',
    variant: 'signed',
    request: () => {
      const { payload, signature } = signedEvent();
      return { method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload };
    },
    expect: all(200),
  },
  {
    route: 'POST /api/stripe/webhook',
    variant: 'unsigned',
    request: () => ({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json' }, payload: signedEvent().payload }),
    expect: all(400),
  },
  // Parked events and their errors are the platform's books too.
  {
    route: 'GET /api/stripe/events',
    request: () => ({ url: '/api/stripe/events' }),
    expect: platformTreasurer(200),
  },
  // Disputes of gifts: the treasurers of the gifts' organizations (the platform's see all).
  // Another federation's treasurer lists their own federation's (none here): see platform-organization.test.ts.
  { route: 'GET /api/disputes', request: () => ({ url: '/api/disputes?state=all' }), expect: { ...platformTreasurer(200), treasurer: 200, otherFederationTreasurer: 200 } },
  // Putting a parked event back in the poster's queue moves the platform's books: its treasurers only.
  {
    route: 'POST /api/stripe/events/:id/retry',
    request: async () => ({ method: 'POST', url: `/api/stripe/events/${await parkedEvent()}/retry` }),
    expect: platformTreasurer(202),
  },
  // A refund is the money of the appeal's organization: its treasurer (or a treasurer grant above that reaches down).
  {
    route: 'POST /api/donations/:id/refund',
    request: () => ({ method: 'POST', url: `/api/donations/${refundGiftId}/refund`, payload: { amountMinor: '1' } }),
    expect: { ...all(403), anonymous: 401, treasurer: 202 },
    stripe: true,
  },
];


const snapshotTables = [
  'organizations',
  'users',
  'memberships',
  'invitations',
  'audit_log',
  'appeals',
  'appeal_translations',
  'appeal_updates',
  'appeal_update_translations',
  'appeal_images',
  'appeal_progress',
  'appeal_donors',
  'campaigns',
  'campaign_appeals',
  'donations',
  'outbox_emails',
  'ledger_accounts',
  'ledger_transactions',
  'ledger_entries',
  'stripe_events',
];

/** Row count and a checksum of every row, per table: a refused call must leave both as they were. */
async function snapshot(): Promise<Record<string, string>> {
  const parts = snapshotTables.map((t) => `SELECT '${t}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS v FROM ${t} x`);
  const rows = await queryRows<{ t: string; v: string }>(db(), sql.raw(parts.join(' UNION ALL ')));
  return Object.fromEntries(rows.map((r) => [r.t, r.v]));
}

function routeKey(r: RouteOptions): string[] {
  const methods = Array.isArray(r.method) ? r.method : [r.method];
  if (methods.length > 4) return [`ALL ${r.url}`];
  // Fastify adds a HEAD route for every GET; its answer is the GET's.
  return methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${r.url}`);
}

beforeAll(async () => {
  // Two federations share the deployment: the demo one runs the platform.
  h = await startPaymentsHarness({ onRoute: (r) => registered.push(...routeKey(r)), env: { PLATFORM_ORGANIZATION: 'demo-federation' } });
  const d = db();
  const [federation] = await d.select().from(organizations).where(eq(organizations.slug, 'demo-federation'));
  const [union] = await d.select().from(organizations).where(eq(organizations.slug, 'ue-demo'));
  const [localA] = await d.insert(organizations).values({ slug: 'local-a', name: 'Local A', kind: 'local', parentId: union!.id, defaultCurrency: 'USD' }).returning();
  const [localB] = await d.insert(organizations).values({ slug: 'local-b', name: 'Local B', kind: 'local', parentId: union!.id, defaultCurrency: 'USD' }).returning();
  const [otherFederation] = await d.insert(organizations).values({ slug: 'other-federation', name: 'Other federation', kind: 'federation', defaultCurrency: 'EUR' }).returning();
  Object.assign(ids, { federation: federation!.id, union: union!.id, localA: localA!.id, localB: localB!.id, otherFederation: otherFederation!.id });

  const grants: Record<Exclude<Role, 'anonymous'>, { organizationId: string; role: 'member' | 'organizer' | 'treasurer' | 'admin'; includesDescendants?: boolean }> = {
    member: { organizationId: ids.localA, role: 'member' },
    organizer: { organizationId: ids.localA, role: 'organizer' },
    otherOrganizer: { organizationId: ids.localB, role: 'organizer' },
    treasurer: { organizationId: ids.localA, role: 'treasurer' },
    platformTreasurer: { organizationId: ids.federation, role: 'treasurer' },
    otherFederationTreasurer: { organizationId: ids.otherFederation, role: 'treasurer', includesDescendants: true },
    admin: { organizationId: ids.localA, role: 'admin' },
    unionOrganizer: { organizationId: ids.union, role: 'organizer', includesDescendants: true },
  };
  cookies.anonymous = null;
  for (const [role, grant] of Object.entries(grants)) cookies[role as Role] = await signInAs(h.app, emailOf(role as Role), grant);
  await signInAs(h.app, localBAdminEmail, { organizationId: ids.localB, role: 'admin' });

  await d.insert(appeals).values([
    { slug: 'a-live', organizationId: ids.localA, title: 'Local A hall', beneficiary: 'Local A', currency: 'USD', goalMinor: 1_000_000n, status: 'live', publishedAt: new Date() },
    { slug: 'a-draft', organizationId: ids.localA, title: 'Local A draft', beneficiary: 'Local A', currency: 'USD', goalMinor: 50_000n, status: 'draft' },
  ]);
  const cover = await h.app.inject({ method: 'PUT', url: '/api/appeals/a-live/cover', headers: { cookie: cookies.organizer!, 'content-type': 'image/png' }, payload: png });
  expect(cover.statusCode).toBe(204);
  await freshCampaignNamed('a-campaign', 'live');
  await freshCampaignNamed('a-draft-campaign', 'draft');

  // Two real gifts: one carries a wall message, one is refunded a cent at a time by the refund row.
  const gift = await h.donate('a-live', { amountMinor: '2500', message: 'Solidarity from the night shift' });
  const refundable = await h.donate('a-live', { amountMinor: '10000' });
  h.emulator.controls.payCheckoutSession(gift.sessionId);
  h.emulator.controls.payCheckoutSession(refundable.sessionId);
  await h.settle();
  giftId = gift.donationId;
  giftSessionId = gift.sessionId;
  refundGiftId = refundable.donationId;
  const [paid] = await d.select().from(donations).where(eq(donations.id, refundGiftId));
  expect(paid!.status).toBe('succeeded');
  const [a] = await d.select().from(appeals).where(eq(appeals.slug, 'a-live'));
  const [account] = await d.select().from(ledgerAccounts).where(eq(ledgerAccounts.code, `appeal:${a!.id}`));
  appealAccountId = account!.id.toString();
});

/** A parked event of a type the poster ignores, so a retry that goes through posts nothing. */
async function parkedEvent(): Promise<string> {
  const id = next('evt_parked').replace(/-/g, '_');
  const payload = JSON.stringify({ id, object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_x', object: 'customer' } } });
  await db().execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, attempts, last_error) VALUES (${id}, 'customer.created', now(), ${payload}, 'parked', 8, 'Stripe did not answer')`);
  return id;
}

async function freshCampaignNamed(slug: string, status: 'draft' | 'live') {
  await db().insert(campaigns).values({ slug, organizationId: ids.localA, title: slug, status, publishedAt: status === 'live' ? new Date() : null });
}

afterAll(async () => {
  await h?.close();
});

// A route someone adds without deciding who may call it must fail here, and a row for a route
// that is gone must not linger.
it('has a row for every route the app registers, and no row for a route it does not', () => {
  const inApp = new Set(registered);
  const inMatrix = new Set(matrix.map((c) => c.route));
  expect([...inApp].filter((k) => !inMatrix.has(k)).sort(), 'routes without a row in the matrix').toEqual([]);
  expect([...inMatrix].filter((k) => !inApp.has(k)).sort(), 'rows for routes the app does not have').toEqual([]);
  expect(inApp.size).toBeGreaterThan(50);
});

describe.each(matrix.map((c) => [`${c.route}${c.variant ? ` (${c.variant})` : ''}`, c] as const))('%s', (_name, c) => {
  for (const role of roles) {
    const expected = c.expect[role];
    // Each cell exists because one wrong answer here is a person doing what they must not (or
    // being stopped from their work); a refused call that still changed a row is as bad as a 2xx.
    it(`${role} → ${expected}`, async () => {
      const options = await c.request(role);
      const cookie = cookies[role];
      const req: InjectOptions = { ...options, headers: { ...(options.headers ?? {}), ...(cookie ? { cookie } : {}) } };
      const refused = expected >= 400;
      if (c.stripe) await h.settle();
      const before = refused ? await snapshot() : null;
      const res = await h.app.inject(req);
      if (c.stripe) await h.settle();
      expect(res.statusCode, res.body.slice(0, 300)).toBe(expected);
      if (expected === 401) expect(res.json().error.code).toBe('auth.required');
      if (expected === 403) expect(res.json().error.code).toBe('auth.forbidden');
      if (before) expect(await snapshot()).toEqual(before);
    });
  }
});

// The matrix answers 200 to the other federation's treasurer on the ledger's account list (their
// own federation's accounts, none yet): a 200 that listed ours would pass it, so the list is read.
describe("another federation's treasurer", () => {
  it("lists none of our ledger accounts, where the platform's treasurer lists them", async () => {
    const listed = async (role: Role) => (await h.app.inject({ url: '/api/ledger/accounts?limit=500', headers: { cookie: cookies[role]! } })).json<{ accounts: { id: string }[] }>().accounts.map((a) => a.id);
    expect(await listed('platformTreasurer')).toContain(appealAccountId);
    expect(await listed('otherFederationTreasurer')).toEqual([]);
  });
});

describe('a grant reaches no further than its granter', () => {
  // An admin of the union whose own role stops at the union cannot act in its locals; letting
  // them invite someone (a second address of their own) to a role that reaches every local would
  // hand them what they do not have.
  it('a union admin without reach cannot invite to a role that reaches the locals, and nothing is stored', async () => {
    const unionAdmin = await signInAs(h.app, 'union-admin@example.org', { organizationId: ids.union, role: 'admin' });
    const before = await snapshot();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/organizations/ue-demo/invitations',
      headers: { cookie: unionAdmin },
      payload: { email: 'second-self@example.org', role: 'admin', includesDescendants: true },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('invitation.reach_exceeds_own');
    expect(await snapshot()).toEqual(before);
    const plain = await h.app.inject({ method: 'POST', url: '/api/organizations/ue-demo/invitations', headers: { cookie: unionAdmin }, payload: { email: 'union-helper@example.org', role: 'organizer' } });
    expect(plain.statusCode).toBe(201);
  });

  // The same invitation from an admin whose own grant reaches down is theirs to give.
  it('an admin whose grant reaches the descendants may give such a grant', async () => {
    const federationAdmin = await signInAs(h.app, 'federation-admin@example.org', { organizationId: ids.federation, role: 'admin', includesDescendants: true });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/organizations/ue-demo/invitations',
      headers: { cookie: federationAdmin },
      payload: { email: 'regional-admin@example.org', role: 'admin', includesDescendants: true },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ includesDescendants: true });
  });
});
