import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appealImages, appeals, auditLog, campaignAppeals, donations, organizations, outboxEmails, users } from '../../db/schema/index';
import { closeExpiredAppeals } from '../../server/appeals/manage-service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock, meetingAt } from '../helpers/row-lock';
import { signInAs } from '../helpers/sign-in';

/*
 * An appeal from draft to closed, as a local's organizer runs it through the API, with the rules
 * the database itself keeps (money terms fixed after a gift, no unpublishing, campaigns within
 * the organization's tree) and the audit record each privileged step leaves.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
let organizerId: string;
let unionOrganizer: string;
let unionOrganizerId: string;
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const db = () => h.testDb.database.db;
const as = (cookie: string) => ({ cookie });

async function userId(email: string): Promise<string> {
  const [u] = await db().select().from(users).where(eq(users.email, email));
  return u!.id;
}

/** A gift paid with the test card and posted (webhook → inbox → poster). */
async function give(slug: string, body: Record<string, unknown>): Promise<string> {
  const g = await h.donate(slug, body);
  h.emulator.controls.payCheckoutSession(g.sessionId);
  await h.settle();
  const [d] = await db().select().from(donations).where(eq(donations.id, g.donationId));
  expect(d!.status).toBe('succeeded');
  return g.donationId;
}

async function createDraft(cookie: string, org: string, body: Record<string, unknown>) {
  const res = await app.inject({
    method: 'POST',
    url: `/api/organizations/${org}/appeals`,
    headers: as(cookie),
    payload: { title: 'A drive', beneficiary: 'Strikers', currency: 'USD', goalMinor: '100000', ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function publish(cookie: string, slug: string) {
  const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/publish`, headers: as(cookie) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function auditOf(subjectId: string) {
  return db().select().from(auditLog).where(eq(auditLog.subjectId, subjectId)).orderBy(asc(auditLog.id));
}

async function appealRow(slug: string) {
  const [a] = await db().select().from(appeals).where(eq(appeals.slug, slug));
  return a!;
}

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [local] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  const [union] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-demo'));
  organizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: local!.id, role: 'organizer' });
  organizerId = await userId('organizer@local222.example.org');
  // The union's organizer, whose grant does not reach the locals below it.
  unionOrganizer = await signInAs(app, 'organizer@union.example.org', { organizationId: union!.id, role: 'organizer' });
  unionOrganizerId = await userId('organizer@union.example.org');
});

afterAll(async () => {
  await h?.close();
});

describe('draft → live → closed', () => {
  let appealId: string;

  // A draft is the organizer's work in progress: the public must not see it at all.
  it('a new draft with a unit is hidden from the public and shown to its organizers', async () => {
    const created = await createDraft(organizer, 'ue-local-222', {
      slug: 'hall-roof',
      title: 'A roof for the union hall',
      goalMinor: '130000',
      unit: { name: 'brick', priceMinor: '100' },
      storyMarkdown: 'We are building a hall.',
    });
    appealId = created.id;
    expect(created).toMatchObject({ status: 'draft', currency: 'USD', goalMinor: '130000', unit: { name: 'brick', priceMinor: '100' }, termsLocked: false, publishedAt: null });
    expect((await app.inject('/api/appeals/hall-roof')).statusCode).toBe(404);
    const list = (await app.inject('/api/appeals?limit=100')).json();
    expect(list.appeals.map((a: { slug: string }) => a.slug)).not.toContain('hall-roof');
    const managed = await app.inject({ url: '/api/appeals/hall-roof/manage', headers: as(organizer) });
    expect(managed.statusCode).toBe(200);
    expect(managed.json()).toMatchObject({ slug: 'hall-roof', status: 'draft', organization: { slug: 'ue-local-222' } });
  });

  // Edits before publishing are ordinary; each one is on the record with what it was before.
  it('edits a draft and records who changed what', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { title: 'A new roof for the union hall', goalMinor: '140000' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ title: 'A new roof for the union hall', goalMinor: '140000' });
    const update = (await auditOf(appealId)).find((e) => e.action === 'appeal.update')!;
    expect(update.actorUserId).toBe(organizerId);
    expect(update.before).toMatchObject({ title: 'A roof for the union hall', goalMinor: '130000' });
    expect(update.after).toMatchObject({ title: 'A new roof for the union hall', goalMinor: '140000' });
  });

  // Chile's UF or the Swiss WIR can be booked, but nobody pays a card gift in them.
  it('refuses an ISO fund code as the appeal’s currency, and changes nothing', async () => {
    for (const currency of ['CLF', 'che']) {
      const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { currency } });
      expect(res.statusCode, currency).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain('/currency');
    }
    expect((await appealRow('hall-roof')).currency).toBe('USD');
  });

  // A deadline in the past is a mistake the API refuses (the job would close it at once).
  it('refuses a deadline in the past', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { deadlineAt: '2020-01-01T00:00:00Z' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('appeal.deadline_past');
  });

  // A unit donors could never give is refused when the terms are set: KWD in steps of 0.010 makes a
  // 0.005 "nail" unpayable at 25 nails, a unit above the goal draws a wall of no bricks, and a goal
  // between two counts of units a complete wall short of it.
  it('refuses a unit donors could not give: a price Stripe cannot charge, or one above the goal', async () => {
    const create = (body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/organizations/ue-local-222/appeals', headers: as(organizer), payload: { title: 'Nails for the hall', beneficiary: 'Local 222', slug: 'nails', ...body } });
    const notPayable = await create({ currency: 'KWD', goalMinor: '10000', unit: { name: 'nail', priceMinor: '5' } });
    expect(notPayable.statusCode).toBe(400);
    expect(notPayable.json().error).toMatchObject({ code: 'appeal.unit_price_not_payable', details: { stepMinor: '10' } });
    const aboveGoal = await create({ currency: 'JPY', goalMinor: '30', unit: { name: 'meal', priceMinor: '50' } });
    expect(aboveGoal.statusCode).toBe(400);
    expect(aboveGoal.json().error.code).toBe('appeal.unit_above_goal');
    // $10.50 of $1.00 bricks: the wall said "10 of 10 · complete" at 95% of the goal.
    const halfBrick = await create({ currency: 'USD', goalMinor: '1050', unit: { name: 'brick', priceMinor: '100' } });
    expect([halfBrick.statusCode, halfBrick.json().error]).toEqual([400, expect.objectContaining({ code: 'appeal.goal_not_whole_units', details: { unitsBelow: '10' } })]);
    expect(await db().select().from(appeals).where(eq(appeals.slug, 'nails'))).toEqual([]);

    // A change of the terms must fit what it keeps: hall-roof's $1.00 brick.
    const lowerGoal = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { goalMinor: '99' } });
    expect(lowerGoal.json().error?.code).toBe('appeal.unit_above_goal');
    const oddGoal = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { goalMinor: '140050' } });
    expect(oddGoal.json().error?.code).toBe('appeal.goal_not_whole_units');
    const nail = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { currency: 'KWD', unit: { name: 'nail', priceMinor: '5' } } });
    expect(nail.json().error?.code).toBe('appeal.unit_price_not_payable');
    expect(await appealRow('hall-roof')).toMatchObject({ currency: 'USD', goalMinor: 140000n, unitPriceMinor: 100n });

    // An appeal whose unit was set before this rule still takes edits that leave its terms alone.
    const kwd = await createDraft(organizer, 'ue-local-222', { slug: 'old-nails', currency: 'KWD', goalMinor: '10000', unit: { name: 'nail', priceMinor: '10' } });
    await db().update(appeals).set({ unitPriceMinor: 5n }).where(eq(appeals.id, kwd.id));
    const retitled = await app.inject({ method: 'PATCH', url: '/api/appeals/old-nails', headers: as(organizer), payload: { title: 'Old nails' } });
    expect(retitled.statusCode, retitled.body).toBe(200);
  });

  // Two organizers at once: one lowers the goal to $5.00 while the other makes the brick $10.00.
  // Each edit fits the appeal as its organizer read it; together they would leave a brick above the
  // goal. The second edit waits for the first and is checked against the appeal as it then stands.
  it('checks an edit against the appeal as it stands, not as read before another edit committed', async () => {
    const bricks = { unit: { name: 'brick', priceMinor: '1000' } };
    const goalEdit = await holdLock(h.testDb.url, "UPDATE appeals SET goal_minor = 500 WHERE slug = 'hall-roof'", []);
    try {
      // The unit edit reads the appeal (goal $1,400.00), then waits on the goal edit's row lock.
      const [res] = await meetingAt(goalEdit, [() => app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: bricks })]);
      expect(res!.statusCode, res!.body).toBe(400);
      expect(res!.json().error.code).toBe('appeal.unit_above_goal');
      expect(await appealRow('hall-roof')).toMatchObject({ goalMinor: 500n, unitPriceMinor: 100n });
    } finally {
      // The terms the tests after this one start from.
      await db().update(appeals).set({ goalMinor: 140000n, unitName: 'brick', unitPriceMinor: 100n }).where(eq(appeals.slug, 'hall-roof'));
    }
  });

  // Publishing is what puts an appeal in front of the public, once.
  it('publishes: draft → live, listed publicly, and only once', async () => {
    const live = await publish(organizer, 'hall-roof');
    expect(live).toMatchObject({ status: 'live' });
    expect(live.publishedAt).not.toBeNull();
    const list = (await app.inject('/api/appeals?limit=100')).json();
    expect(list.appeals.find((a: { slug: string }) => a.slug === 'hall-roof')).toMatchObject({ status: 'live', unit: { name: 'brick', priceMinor: '100' } });
    expect((await app.inject('/api/appeals/hall-roof')).statusCode).toBe(200);
    const again = await app.inject({ method: 'POST', url: '/api/appeals/hall-roof/publish', headers: as(organizer) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('appeal.not_draft');
  });

  // The database keeps the rule too: nothing (a script, a bad migration) can unpublish an appeal.
  it('the database refuses to turn a published appeal back into a draft', async () => {
    await expect(queryRows(db(), sql`UPDATE appeals SET status = 'draft' WHERE slug = 'hall-roof'`)).rejects.toMatchObject({
      cause: { constraint_name: 'appeals_no_unpublish' },
    });
    expect((await appealRow('hall-roof')).status).toBe('live');
  });

  // A closed drive takes no more money, and says so instead of starting a checkout.
  it('closes by hand; a closed appeal refuses gifts and edits', async () => {
    await createDraft(organizer, 'ue-local-222', { slug: 'short-drive' });
    await publish(organizer, 'short-drive');
    const closed = await app.inject({ method: 'POST', url: '/api/appeals/short-drive/close', headers: as(organizer) });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', closedReason: 'manual' });
    const before = await db().select().from(donations);
    const gift = await app.inject({ method: 'POST', url: '/api/appeals/short-drive/donations', payload: { amountMinor: '1000', donorEmail: 'late@example.org', idempotencyKey: 'late-gift-1' } });
    expect(gift.statusCode).toBe(404);
    expect(gift.json().error.code).toBe('appeal_not_found');
    expect(await db().select().from(donations)).toHaveLength(before.length);
    const edit = await app.inject({ method: 'PATCH', url: '/api/appeals/short-drive', headers: as(organizer), payload: { title: 'Reopened?' } });
    expect(edit.statusCode).toBe(409);
    // The public page says when it closed (a live appeal has no such date), and opens no live
    // stream for it: the stream serves live appeals only.
    const row = await appealRow('short-drive');
    expect((await app.inject('/api/appeals/short-drive')).json()).toMatchObject({ status: 'closed', closedAt: row.closedAt!.toISOString() });
    expect((await app.inject('/api/appeals/hall-roof')).json()).toMatchObject({ status: 'live', closedAt: null });
    const stream = await app.inject('/api/appeals/short-drive/events');
    expect(stream.statusCode).toBe(404);
    expect(stream.json().error.code).toBe('appeal_not_live');
    const actions = (await auditOf(closed.json().id)).map((e) => [e.action, e.actorUserId]);
    expect(actions).toEqual([
      ['appeal.create', organizerId],
      ['appeal.publish', organizerId],
      ['appeal.close', organizerId],
    ]);
  });

  // Deadlines close appeals with no one pressing a button; the record says no person did it.
  it('closeExpiredAppeals closes a live appeal whose deadline passed, with a null actor', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const created = await createDraft(organizer, 'ue-local-222', { slug: 'deadline-drive', deadlineAt: soon });
    await publish(organizer, 'deadline-drive');
    // The API refuses past deadlines, so the clock is moved in the database.
    await queryRows(db(), sql`UPDATE appeals SET deadline_at = now() - interval '1 minute' WHERE slug = 'deadline-drive'`);
    expect(await closeExpiredAppeals(db())).toBe(1);
    expect(await appealRow('deadline-drive')).toMatchObject({ status: 'closed', closedReason: 'deadline' });
    const entry = (await auditOf(created.id)).find((e) => e.action === 'appeal.close_deadline')!;
    expect(entry.actorUserId).toBeNull();
    expect(entry.before).toMatchObject({ status: 'live' });
    expect(entry.after).toMatchObject({ status: 'closed' });
    expect(await closeExpiredAppeals(db())).toBe(0);
  });

  // The deadline job runs every 30 s (later if it is behind): until it does, an appeal whose
  // deadline passed still reads live, and its page already says the time is up. A gift then
  // would be money taken for a drive that ended; it is refused as a closed appeal's is.
  it('a live appeal whose deadline passed refuses gifts before the deadline job closes it', async () => {
    await createDraft(organizer, 'ue-local-222', { slug: 'past-deadline', deadlineAt: new Date(Date.now() + 3_600_000).toISOString() });
    await publish(organizer, 'past-deadline');
    await queryRows(db(), sql`UPDATE appeals SET deadline_at = now() - interval '1 second' WHERE slug = 'past-deadline'`);
    expect((await appealRow('past-deadline')).status).toBe('live');
    const before = await db().select().from(donations);
    const gift = await app.inject({ method: 'POST', url: '/api/appeals/past-deadline/donations', payload: { amountMinor: '1000', donorEmail: 'late@example.org', idempotencyKey: 'after-deadline-1' } });
    expect(gift.statusCode, gift.body).toBe(404);
    expect(gift.json().error.code).toBe('appeal_not_found');
    expect(await db().select().from(donations)).toHaveLength(before.length);
  });
});

describe('money terms after the first gift', () => {
  // Receipts, the ledger account and progress all assume the goal, currency and unit price a
  // donor saw; after a gift they are fixed, while the words around them can still be fixed.
  it('goal, currency and unit price lock after a paid gift; the title still edits', async () => {
    await give('hall-roof', { amountMinor: '500', donorEmail: 'first@example.org' });
    const managed = (await app.inject({ url: '/api/appeals/hall-roof/manage', headers: as(organizer) })).json();
    expect(managed.termsLocked).toBe(true);
    const rowBefore = await appealRow('hall-roof');
    const auditBefore = (await auditOf(rowBefore.id)).length;
    for (const payload of [{ goalMinor: '999900' }, { currency: 'EUR' }, { unit: { name: 'brick', priceMinor: '200' } }]) {
      const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(409);
      expect(res.json().error.code).toBe('appeal.terms_locked');
    }
    expect(await appealRow('hall-roof')).toEqual(rowBefore);
    expect(await auditOf(rowBefore.id)).toHaveLength(auditBefore);
    const retitled = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { title: 'The union hall roof' } });
    expect(retitled.statusCode).toBe(200);
    expect(retitled.json()).toMatchObject({ title: 'The union hall roof', goalMinor: '140000', termsLocked: true });
  });

  // The guard is in the database, so a raw UPDATE is refused as well.
  it('the database trigger refuses a raw UPDATE of the goal', async () => {
    await expect(queryRows(db(), sql`UPDATE appeals SET goal_minor = 1 WHERE slug = 'hall-roof'`)).rejects.toMatchObject({
      cause: { constraint_name: 'appeals_terms_locked' },
    });
    await expect(queryRows(db(), sql`UPDATE appeals SET unit_price_minor = 5 WHERE slug = 'hall-roof'`)).rejects.toMatchObject({
      cause: { constraint_name: 'appeals_terms_locked' },
    });
    expect((await appealRow('hall-roof')).goalMinor).toBe(140_000n);
  });
});

describe('translations', () => {
  // Affiliates read appeals in their own language; organizers keep one per language.
  it('keeps a French translation beside the original, and not one in the original language', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/appeals/hall-roof/translations/fr',
      headers: as(organizer),
      payload: { title: 'Un toit pour la maison syndicale', summary: 'Brique par brique', storyMarkdown: 'Nous construisons <script>alert(1)</script>une maison.' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().translations).toEqual([{ language: 'fr', title: 'Un toit pour la maison syndicale', summary: 'Brique par brique', storyMarkdown: 'Nous construisons <script>alert(1)</script>une maison.', storyHtml: '<p>Nous construisons une maison.</p>\n', unitName: null }]);
    const [stored] = await queryRows<{ story_html: string }>(db(), sql`SELECT t.story_html FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'hall-roof' AND t.language = 'fr'`);
    expect(stored!.story_html).toContain('Nous construisons');
    expect(stored!.story_html).not.toContain('<script');
    // Adding (If-None-Match: *) never overwrites one saved meanwhile, in another tab say; editing does.
    // (The pages' add form sends it: the e2e test adds French that way.)
    const added = await app.inject({ method: 'PUT', url: '/api/appeals/hall-roof/translations/fr', headers: { ...as(organizer), 'if-none-match': '*' }, payload: { title: 'Autre onglet' } });
    expect(added.statusCode).toBe(412);
    expect(added.json().error.code).toBe('appeal.translation_exists');
    const [kept] = await queryRows<{ title: string }>(db(), sql`SELECT t.title FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'hall-roof' AND t.language = 'fr'`);
    expect(kept!.title).toBe('Un toit pour la maison syndicale');
    const original = await app.inject({ method: 'PUT', url: '/api/appeals/hall-roof/translations/en', headers: as(organizer), payload: { title: 'Same language' } });
    expect(original.statusCode).toBe(400);
    expect(original.json().error.code).toBe('appeal.translation_is_original');
  });

  // An organizer who marks the appeal itself French while it has a French translation would leave
  // two French texts, the translation hiding the original from French readers, and a translation
  // in the original language no form can remove or correct: refused, as for an update.
  it('does not mark the appeal with a language it has a translation into', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { language: 'fr' } });
    expect([res.statusCode, res.json().error?.code, res.json().error?.details]).toEqual([409, 'appeal.language_translated', { language: 'fr' }]);
    expect((await appealRow('hall-roof')).language).toBe('en');
  });

  // Two organizers at once: one marks the appeal Spanish while the other adds a Spanish
  // translation. The translation waits for the language edit and is then refused as the original.
  it('does not add a translation in the language another organizer is marking the appeal with', async () => {
    const languageEdit = await holdLock(h.testDb.url, "UPDATE appeals SET language = 'es' WHERE slug = 'hall-roof'", []);
    try {
      const [res] = await meetingAt(languageEdit, [
        () => app.inject({ method: 'PUT', url: '/api/appeals/hall-roof/translations/es', headers: as(organizer), payload: { title: 'Un techo para el local' } }),
      ]);
      expect([res!.statusCode, res!.json().error?.code]).toEqual([400, 'appeal.translation_is_original']);
      const [es] = await queryRows<{ n: number }>(db(), sql`SELECT count(*)::int AS n FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'hall-roof' AND t.language = 'es'`);
      expect(es!.n).toBe(0);
    } finally {
      await db().update(appeals).set({ language: 'en' }).where(eq(appeals.slug, 'hall-roof'));
    }
  });

  // The public appeal carries every translation (one cached body per appeal); the page picks the reader's.
  it('the public appeal carries the French translation, sanitized, beside the original', async () => {
    const res = await app.inject('/api/appeals/hall-roof');
    if (res.statusCode === 404) return expect(res.json().error.code).toBe('appeal_not_found');
    const fr = res.json().translations.find((t: { language: string }) => t.language === 'fr');
    expect(fr).toMatchObject({ title: 'Un toit pour la maison syndicale', summary: 'Brique par brique' });
    expect(fr.storyHtml).toContain('Nous construisons');
    expect(fr.storyHtml).not.toContain('<script');
    // Lists carry the translated title and summary too, for cards in the reader's language.
    const listed = (await app.inject(`/api/appeals?status=${res.json().status}&limit=100`)).json().appeals.find((a: { slug: string }) => a.slug === 'hall-roof');
    expect(listed.translations).toEqual([{ language: 'fr', title: 'Un toit pour la maison syndicale', summary: 'Brique par brique' }]);
  });

  // The audit found Japanese readers asked "いくつ？（brick）": a translation names the unit too, and
  // a translation without one (older ones, or one left untranslated) still reads as the original.
  it("names the appeal's unit in a translation; one without keeps the original name", async () => {
    await createDraft(organizer, 'ue-local-222', { slug: 'bricks-222', title: 'Bricks', language: 'en', unit: { name: 'brick', priceMinor: '100' } });
    await publish(organizer, 'bricks-222');
    const put = (language: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url: `/api/appeals/bricks-222/translations/${language}`, headers: as(organizer), payload });
    expect((await put('fr', { title: 'Des briques' })).statusCode).toBe(200);
    const ja = await put('ja', { title: 'レンガ募金', unitName: '  レンガ ' });
    expect(ja.statusCode, ja.body).toBe(200);
    expect(ja.json().translations).toEqual([
      { language: 'fr', title: 'Des briques', summary: '', storyMarkdown: '', storyHtml: '', unitName: null },
      { language: 'ja', title: 'レンガ募金', summary: '', storyMarkdown: '', storyHtml: '', unitName: 'レンガ' },
    ]);
    const pub = (await app.inject('/api/appeals/bricks-222')).json();
    expect(pub.unit).toEqual({ name: 'brick', priceMinor: '100' });
    expect(pub.translations.map((t: { language: string; unitName: string | null }) => [t.language, t.unitName])).toEqual([['fr', null], ['ja', 'レンガ']]);

    // The same length rule as the appeal's own unit name (1 to 40 after trimming); a refused one changes nothing.
    for (const unitName of ['   ', 'x'.repeat(41)]) {
      const res = await put('ja', { title: 'レンガ募金', unitName });
      expect(res.statusCode, unitName).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect((await app.inject('/api/appeals/bricks-222')).json().translations[1].unitName).toBe('レンガ');
    const audit = await auditOf(pub.id);
    expect(audit.filter((a) => a.action === 'appeal.translate').map((a) => a.after)).toContainEqual({ language: 'ja', title: 'レンガ募金', unitName: 'レンガ' });
    // Saving again without a unit name is a translation without one: readers get "brick".
    const cleared = await put('ja', { title: 'レンガ募金' });
    expect(cleared.json().translations[1].unitName).toBeNull();
  });

  // An appeal without a unit has nothing to name: the API says so rather than keep a name no page shows.
  it('refuses a unit name for an appeal without a unit, and never shows one kept from a removed unit', async () => {
    await createDraft(organizer, 'ue-local-222', { slug: 'strike-pay-222', title: 'Strike pay' });
    const refused = await app.inject({ method: 'PUT', url: '/api/appeals/strike-pay-222/translations/ja', headers: as(organizer), payload: { title: 'ストライキ手当', unitName: 'レンガ' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('appeal.translation_unit_without_unit');
    expect(await queryRows(db(), sql`SELECT 1 FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'strike-pay-222'`)).toEqual([]);

    // A unit, a translated name, then the unit removed before any gift: the stored name stays
    // (the organizer may put the unit back) but the public appeal names no unit in any language.
    await createDraft(organizer, 'ue-local-222', { slug: 'tiles-222', title: 'Tiles', unit: { name: 'tile', priceMinor: '500' } });
    const named = await app.inject({ method: 'PUT', url: '/api/appeals/tiles-222/translations/ar', headers: as(organizer), payload: { title: 'بلاط', unitName: 'بلاطة' } });
    expect(named.statusCode, named.body).toBe(200);
    await publish(organizer, 'tiles-222');
    expect((await app.inject('/api/appeals/tiles-222')).json().translations[0].unitName).toBe('بلاطة');
    const removed = await app.inject({ method: 'PATCH', url: '/api/appeals/tiles-222', headers: as(organizer), payload: { unit: null } });
    expect(removed.statusCode, removed.body).toBe(200);
    const pub = (await app.inject('/api/appeals/tiles-222')).json();
    expect(pub.unit).toBeNull();
    expect(pub.translations[0]).toMatchObject({ language: 'ar', title: 'بلاط', unitName: null });
  });
});

describe('story sanitizing', () => {
  // Organizers write markdown; a donor's browser must never run what they (or a stolen account) typed.
  it('renders a hostile story inert and keeps its words', async () => {
    const story = [
      'Safe words stay.',
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click me](javascript:alert(1))',
      '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
      '![p](https://track.example/p.gif)',
      '<iframe src="https://evil.example/"></iframe>',
      '[a real link](https://ue.org/hall)',
    ].join('\n\n');
    const res = await app.inject({ method: 'PATCH', url: '/api/appeals/hall-roof', headers: as(organizer), payload: { storyMarkdown: story } });
    expect(res.statusCode).toBe(200);
    const html: string = res.json().storyHtml;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<img/i);
    // The picture from another site does not load in a donor's browser: it is a link she may follow.
    expect(html).toContain('<a href="https://track.example/p.gif" rel="nofollow noopener noreferrer ugc">p</a>');
    expect(html).toContain('Safe words stay.');
    expect(html).toContain('click me');
    expect(html).toContain('mixed case');
    expect(html).toMatch(/<a href="https:\/\/ue\.org\/hall" rel="nofollow noopener noreferrer ugc">a real link<\/a>/);
    // The markdown itself is kept as written, for the organizer to edit.
    expect(res.json().storyMarkdown).toBe(story);
  });
});

describe('cover image', () => {
  const put = (type: string, payload: Buffer) =>
    app.inject({ method: 'PUT', url: '/api/appeals/hall-roof/cover', headers: { ...as(organizer), 'content-type': type }, payload });
  const imageCount = async () => (await db().select().from(appealImages)).length;

  // A PNG is taken and served back as exactly what was sent, with its type.
  it('accepts a PNG and serves it with its type', async () => {
    expect((await put('image/png', png)).statusCode).toBe(204);
    const got = await app.inject('/api/appeals/hall-roof/cover');
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.rawPayload.equals(png)).toBe(true);
  });

  // The cover may be larger than the API's 1 MB JSON limit, up to its own 2 MB.
  it('accepts a 1.5 MB PNG', async () => {
    const big = Buffer.concat([png.subarray(0, 8), Buffer.alloc(1_500_000 - 8, 7)]);
    expect((await put('image/png', big)).statusCode).toBe(204);
  });

  // SVG can carry script; bytes that are not what the type claims could be anything.
  it('refuses SVG, a PNG type over JPEG or garbage bytes, and more than 2 MB — storing nothing', async () => {
    const before = await imageCount();
    const svg = await put('image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
    expect(svg.statusCode).toBe(415);
    expect(svg.json().error.code).toBe('cover.unsupported_type');
    const jpegBytes = await put('image/png', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]));
    expect(jpegBytes.statusCode).toBe(415);
    expect(jpegBytes.json().error.code).toBe('cover.not_an_image');
    const garbage = await put('image/png', Buffer.from('definitely not an image'));
    expect(garbage.statusCode).toBe(415);
    const tooBig = await put('image/png', Buffer.concat([png.subarray(0, 8), Buffer.alloc(2 * 1024 * 1024, 1)]));
    expect(tooBig.statusCode).toBe(413);
    expect(await imageCount()).toBe(before);
  });

  // 2 MB of compressed pixels can say 20,000 × 20,000 (a decompression bomb, or a raw scan): every
  // donor's browser would decode 1.6 GB for the page's picture, and a phone's tab would crash.
  // What the header says is refused before it is stored, for each type taken.
  it('refuses an image whose header declares more pixels than a page can show, storing nothing', async () => {
    const before = await imageCount();
    // The 1 × 1 PNG with its IHDR saying 20,000 × 20,000, its CRC made right, as a browser reads it.
    const hugePng = Buffer.from(png);
    hugePng.writeUInt32BE(20_000, 16);
    hugePng.writeUInt32BE(20_000, 20);
    hugePng.writeUInt32BE(crc32(hugePng.subarray(12, 29)), 29);
    // A JPEG (SOI, an APP0, then a baseline SOF0 of 30,000 × 30,000) and a WebP (VP8X canvas of 16,000 × 16,000).
    const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
    const hugeJpeg = Buffer.from([0xff, 0xd8, ...app0, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x75, 0x30, 0x75, 0x30, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    const vp8x = Buffer.alloc(30);
    vp8x.write('RIFF', 0, 'latin1');
    vp8x.writeUInt32LE(22, 4);
    vp8x.write('WEBPVP8X', 8, 'latin1');
    vp8x.writeUInt32LE(10, 16);
    vp8x.writeUIntLE(16_000 - 1, 24, 3);
    vp8x.writeUIntLE(16_000 - 1, 27, 3);
    for (const [type, bytes] of [['image/png', hugePng], ['image/jpeg', hugeJpeg], ['image/webp', vp8x]] as const) {
      const res = await put(type, bytes);
      expect(res.statusCode, `${type}: ${res.body}`).toBe(422);
      expect(res.json().error.code).toBe('cover.too_many_pixels');
    }
    expect(await imageCount()).toBe(before);
    // A photo's size is still taken: 4,000 × 3,000 (on a draft of its own, hall-roof's audit trail is counted below).
    await createDraft(organizer, 'ue-local-222', { slug: 'cover-photo' });
    const photo = Buffer.from(png);
    photo.writeUInt32BE(4_000, 16);
    photo.writeUInt32BE(3_000, 20);
    photo.writeUInt32BE(crc32(photo.subarray(12, 29)), 29);
    const taken = await app.inject({ method: 'PUT', url: '/api/appeals/cover-photo/cover', headers: { ...as(organizer), 'content-type': 'image/png' }, payload: photo });
    expect(taken.statusCode, taken.body).toBe(204);
  });
});

describe('updates and the donor wall', () => {
  // Only donors who asked for news get mail: anything else is spam from the union.
  it('emails an update to opted-in donors only, and lists it publicly', async () => {
    const yes = await give('hall-roof', { amountMinor: '700', donorEmail: 'Wants.News@example.org' });
    const no = await give('hall-roof', { amountMinor: '800', donorEmail: 'no-news@example.org' });
    await db().update(donations).set({ updatesOptIn: true }).where(eq(donations.id, yes));
    await db().update(donations).set({ updatesOptIn: false }).where(eq(donations.id, no));
    // Before posting, the organizer sees how many it will reach: the addresses it will be mailed to.
    const before = await app.inject({ url: '/api/appeals/hall-roof/manage', headers: as(organizer) });
    expect(before.json().updateSubscribers).toBe(1);
    // The organization's list of drives counts them too (for every drive in one query).
    const drives = (await app.inject({ url: '/api/organizations/ue-local-222/appeals', headers: as(organizer) })).json();
    expect(drives.appeals.find((a: { slug: string }) => a.slug === 'hall-roof').updateSubscribers).toBe(1);
    const res = await app.inject({ method: 'POST', url: '/api/appeals/hall-roof/updates', headers: as(organizer), payload: { title: 'Halfway there', bodyMarkdown: 'The **walls** are up.' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ title: 'Halfway there', emailedTo: 1 });
    const mail = await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'));
    expect(mail.map((m) => m.toAddress)).toEqual(['wants.news@example.org']);
    expect(mail[0]!.textBody).toContain('/appeals/hall-roof');
    const listed = (await app.inject('/api/appeals/hall-roof/updates')).json();
    expect(listed.updates).toEqual([expect.objectContaining({ id: res.json().id, title: 'Halfway there', bodyHtml: expect.stringContaining('<strong>walls</strong>') })]);
  });

  // The wall shows people's words only after an organizer read them, and never an anonymous donor's name or amount.
  it('hides pending messages until approved, anonymous donors fully, and hidden messages entirely', async () => {
    const named = await give('hall-roof', { amountMinor: '1300', donorEmail: 'rosa@example.org', donorName: 'Rosa', message: 'From the night shift' });
    await give('hall-roof', { amountMinor: '900', donorEmail: 'anon@example.org', donorName: 'Secret Person', anonymous: true });
    const wall = async () => (await app.inject('/api/appeals/hall-roof/wall')).json().donors as { name: string | null; message: string | null; givenAt: string }[];

    // The wall shows who gave, never how much; a message waits for an organizer's approval.
    const pending = (await wall()).find((e) => e.name === 'Rosa')!;
    expect(pending).toMatchObject({ message: null });
    expect(Object.keys(pending)).not.toContain('amountMinor');
    const anonymous = (await wall()).filter((e) => e.name === null);
    expect(anonymous).toHaveLength(1);
    expect(JSON.stringify(await wall())).not.toContain('Secret Person');

    const approve = await app.inject({ method: 'PATCH', url: `/api/appeals/hall-roof/wall/${named}`, headers: as(organizer), payload: { messageStatus: 'approved' } });
    expect(approve.statusCode).toBe(204);
    expect((await wall()).find((e) => e.name === 'Rosa')).toMatchObject({ message: 'From the night shift' });

    // Hiding takes the message down; the donor still stands on the wall.
    const hide = await app.inject({ method: 'PATCH', url: `/api/appeals/hall-roof/wall/${named}`, headers: as(organizer), payload: { messageStatus: 'hidden' } });
    expect(hide.statusCode).toBe(204);
    expect((await wall()).find((e) => e.name === 'Rosa')).toMatchObject({ message: null });
    expect(JSON.stringify(await wall())).not.toContain('night shift');

    // The organizer's list says which language each message is likely in (the donor's), so a
    // screen reader reads a Japanese message as Japanese in an English page.
    const inJapanese = await give('hall-roof', { amountMinor: '500', donorEmail: 'kenji@example.org', donorName: 'Kenji', message: '連帯を込めて', locale: 'ja' });
    const listed = (await app.inject({ url: '/api/appeals/hall-roof/donors', headers: as(organizer) })).json().donors as { donationId: string; messageLanguage: string | null }[];
    expect(listed.find((d) => d.donationId === inJapanese)?.messageLanguage).toBe('ja');
    expect(listed.find((d) => d.donationId === named)?.messageLanguage).toBe('en');
    const withoutMessage = listed.filter((d) => d.donationId !== inJapanese && d.donationId !== named);
    expect(withoutMessage.length).toBeGreaterThan(0);
    expect(withoutMessage.map((d) => d.messageLanguage)).toEqual(withoutMessage.map(() => null));

    const moderation = (await auditOf(named)).map((e) => [e.action, e.actorUserId, e.before, e.after]);
    expect(moderation).toEqual([
      ['appeal.moderate_message', organizerId, { messageStatus: 'pending' }, { messageStatus: 'approved' }],
      ['appeal.moderate_message', organizerId, { messageStatus: 'approved' }, { messageStatus: 'hidden' }],
    ]);
  });

  // A name is shown on the public wall the moment the gift is paid, with no one reading it first:
  // "Scab list at evil.example" for a dollar would stand there until an organizer can take it down.
  it('lets an organizer take a donor name off the wall and put it back, and says which in the list', async () => {
    const named = await give('hall-roof', { amountMinor: '600', donorEmail: 'spam@example.org', donorName: 'Refunds at scam.example' });
    const wall = async () => JSON.stringify((await app.inject('/api/appeals/hall-roof/wall')).json().donors);
    const patch = (payload: object, id = named) => app.inject({ method: 'PATCH', url: `/api/appeals/hall-roof/wall/${id}`, headers: as(organizer), payload });
    expect(await wall()).toContain('Refunds at scam.example');

    const hide = await patch({ nameHidden: true });
    expect(hide.statusCode, hide.body).toBe(204);
    expect(await wall()).not.toContain('scam.example');
    // The gift still stands on the wall, without a name, as an anonymous one does.
    const listed = (await app.inject({ url: '/api/appeals/hall-roof/donors', headers: as(organizer) })).json().donors as { donationId: string; name: string; nameHidden: boolean }[];
    expect(listed.find((d) => d.donationId === named)).toMatchObject({ name: 'Refunds at scam.example', nameHidden: true });

    expect((await patch({ nameHidden: false })).statusCode).toBe(204);
    expect(await wall()).toContain('Refunds at scam.example');

    // Nothing to moderate: an empty body, or a gift whose name the wall never shows.
    const empty = await patch({});
    expect([empty.statusCode, empty.json().error.code]).toEqual([400, 'validation_failed']);
    const anonymous = await give('hall-roof', { amountMinor: '600', donorEmail: 'quiet@example.org', donorName: 'Quiet One', anonymous: true });
    const refused = await patch({ nameHidden: true }, anonymous);
    expect([refused.statusCode, refused.json().error.code]).toEqual([404, 'donation.no_name']);

    const audited = (await auditOf(named)).map((e) => [e.action, e.actorUserId, e.before, e.after]);
    expect(audited).toEqual([
      ['appeal.moderate_name', organizerId, { nameHidden: false }, { nameHidden: true }],
      ['appeal.moderate_name', organizerId, { nameHidden: true }, { nameHidden: false }],
    ]);
  });
});

describe('campaigns', () => {
  let campaignId: string;

  // A union runs one campaign over its own drive and its locals' drives; money in different
  // currencies is never added up, and each appeal's share is of its own currency's total.
  it("a union organizer groups its own and its child local's appeals, with totals per currency", async () => {
    await createDraft(unionOrganizer, 'ue-demo', { slug: 'union-usd', goalMinor: '50000' });
    await publish(unionOrganizer, 'union-usd');
    await createDraft(unionOrganizer, 'ue-demo', { slug: 'union-yen', currency: 'JPY', goalMinor: '500000' });
    await publish(unionOrganizer, 'union-yen');
    await give('union-usd', { amountMinor: '1500', donorEmail: 'u1@example.org' });
    await give('union-yen', { amountMinor: '3000', donorEmail: 'u2@example.org' });

    const created = await app.inject({ method: 'POST', url: '/api/organizations/ue-demo/campaigns', headers: as(unionOrganizer), payload: { slug: 'spring-drive', title: 'Spring drive' } });
    expect(created.statusCode).toBe(201);
    campaignId = created.json().id;
    for (const slug of ['union-usd', 'union-yen', 'hall-roof']) {
      const added = await app.inject({ method: 'PUT', url: `/api/campaigns/spring-drive/appeals/${slug}`, headers: as(unionOrganizer) });
      expect(added.statusCode, added.body).toBe(200);
    }
    expect((await app.inject({ method: 'POST', url: '/api/campaigns/spring-drive/publish', headers: as(unionOrganizer) })).statusCode).toBe(200);

    const view = (await app.inject('/api/campaigns/spring-drive')).json();
    const raised = async (slug: string) => BigInt((await app.inject(`/api/appeals/${slug}`)).json().progress.raisedGrossMinor);
    const usdTotal = (await raised('union-usd')) + (await raised('hall-roof'));
    expect(view.totals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ currency: 'USD', raisedGrossMinor: usdTotal.toString(), goalMinor: '190000', appealCount: 2 }),
        expect.objectContaining({ currency: 'JPY', raisedGrossMinor: '3000', goalMinor: '500000', appealCount: 1 }),
      ]),
    );
    expect(view.totals).toHaveLength(2);
    const share = (slug: string) => view.appeals.find((a: { slug: string }) => a.slug === slug).shareOfCurrencyTotalBasisPoints;
    expect(share('union-yen')).toBe(10_000);
    expect(share('union-usd')).toBe(Number((1500n * 10_000n) / usdTotal));
    expect(share('hall-roof')).toBe(Number(((await raised('hall-roof')) * 10_000n) / usdTotal));
  });

  // Osaka's union hangs off the federation, not this union: its drive is not this union's to group.
  it('refuses an appeal of a sibling tree, through the API and in the database', async () => {
    const before = await db().select().from(campaignAppeals);
    const res = await app.inject({ method: 'PUT', url: '/api/campaigns/spring-drive/appeals/osaka-care-strike-fund', headers: as(unionOrganizer) });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('campaign.appeal_outside_tree');
    expect(await db().select().from(campaignAppeals)).toEqual(before);
    const osaka = await appealRow('osaka-care-strike-fund');
    await expect(queryRows(db(), sql`INSERT INTO campaign_appeals (campaign_id, appeal_id) VALUES (${campaignId}, ${osaka.id})`)).rejects.toMatchObject({
      cause: { constraint_name: 'campaign_appeals_in_tree' },
    });
  });

  // An edit with nothing in it is the caller's mistake: a 400 that says so, not a 500.
  it('refuses an empty campaign edit with a 400 and changes nothing', async () => {
    const auditBefore = (await auditOf(campaignId)).length;
    const res = await app.inject({ method: 'PATCH', url: '/api/campaigns/spring-drive', headers: as(unionOrganizer), payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(await auditOf(campaignId)).toHaveLength(auditBefore);
  });

  // A campaign that ends before it starts was saved, and its page said both: refused at creation
  // and at an edit that moves one date past the other, with a code, changing nothing.
  it('refuses a campaign that ends before it starts, created or edited', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/organizations/ue-demo/campaigns', headers: as(unionOrganizer), payload: { slug: 'backwards-drive', title: 'Backwards drive', startsAt: '2027-05-01T00:00:00Z', endsAt: '2027-04-01T00:00:00Z' } });
    expect([created.statusCode, created.json().error.code]).toEqual([400, 'validation_failed']);
    const dated = await app.inject({ method: 'POST', url: '/api/organizations/ue-demo/campaigns', headers: as(unionOrganizer), payload: { slug: 'dated-drive', title: 'Dated drive', startsAt: '2027-05-01T00:00:00Z', endsAt: '2027-06-01T00:00:00Z' } });
    expect(dated.statusCode).toBe(201);
    const auditBefore = (await auditOf(dated.json().id)).length;
    const endsEarly = await app.inject({ method: 'PATCH', url: '/api/campaigns/dated-drive', headers: as(unionOrganizer), payload: { endsAt: '2027-04-01T00:00:00Z' } });
    expect([endsEarly.statusCode, endsEarly.json().error.code]).toEqual([400, 'campaign.ends_before_start']);
    expect((await app.inject({ url: '/api/campaigns/dated-drive', headers: as(unionOrganizer) })).json()).toMatchObject({ startsAt: '2027-05-01T00:00:00.000Z', endsAt: '2027-06-01T00:00:00.000Z' });
    expect(await auditOf(dated.json().id)).toHaveLength(auditBefore);
  });

  // Every privileged step of a campaign names who did it and what changed.
  it('records each campaign step in the audit log', async () => {
    const entries = (await auditOf(campaignId)).map((e) => [e.action, e.actorUserId, e.before, e.after]);
    expect(entries).toEqual([
      ['campaign.create', unionOrganizerId, null, expect.objectContaining({ slug: 'spring-drive', title: 'Spring drive' })],
      ['campaign.add_appeal', unionOrganizerId, null, { appeal: 'union-usd' }],
      ['campaign.add_appeal', unionOrganizerId, null, { appeal: 'union-yen' }],
      ['campaign.add_appeal', unionOrganizerId, null, { appeal: 'hall-roof' }],
      ['campaign.publish', unionOrganizerId, { status: 'draft' }, { status: 'live' }],
    ]);
  });

  // Two organizers retitle the campaign at once, and this edit waits for the other's commit: its
  // "before" is the other's title, which it replaced, not the title both read.
  it('records what each of two simultaneous edits replaced', async () => {
    const retitle = (title: string) => app.inject({ method: 'PATCH', url: '/api/campaigns/spring-drive', headers: as(unionOrganizer), payload: { title } });
    // The other organizer's edit, holding the campaign's row until it commits.
    const otherEdit = await holdLock(h.testDb.url, "UPDATE campaigns SET title = 'Spring drive, other edit' WHERE id = $1", [campaignId]);
    const [edit] = await meetingAt(otherEdit, [() => retitle('Spring drive, first edit')]);
    expect(edit!.statusCode).toBe(200);
    const [last] = (await auditOf(campaignId)).slice(-1);
    expect([last!.action, last!.before, last!.after]).toEqual(['campaign.update', { title: 'Spring drive, other edit' }, { title: 'Spring drive, first edit' }]);
  });
});

describe('the audit trail of one appeal', () => {
  // Who did what to the drive, in order, each with the state before and after where it changed.
  it('has an entry for every privileged action on hall-roof', async () => {
    const a = await appealRow('hall-roof');
    const entries = await db().select().from(auditLog).where(and(eq(auditLog.organizationId, a.organizationId), eq(auditLog.subjectId, a.id))).orderBy(asc(auditLog.id));
    expect(entries.map((e) => e.action)).toEqual([
      'appeal.create',
      'appeal.update',
      'appeal.publish',
      'appeal.update',
      'appeal.translate',
      'appeal.update',
      'appeal.set_cover',
      'appeal.set_cover',
    ]);
    expect(entries.every((e) => e.actorUserId === organizerId)).toBe(true);
    const publishEntry = entries.find((e) => e.action === 'appeal.publish')!;
    expect(publishEntry.before).toMatchObject({ status: 'draft' });
    expect(publishEntry.after).toMatchObject({ status: 'live' });
    expect(entries.find((e) => e.action === 'appeal.translate')!.after).toEqual({ language: 'fr', title: 'Un toit pour la maison syndicale', unitName: null });
    expect(entries.find((e) => e.action === 'appeal.set_cover')!.after).toMatchObject({ contentType: 'image/png', sizeBytes: png.length });
    const updates = await db().select().from(auditLog).where(eq(auditLog.action, 'appeal.post_update'));
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ actorUserId: organizerId, organizationId: a.organizationId, after: expect.objectContaining({ appealId: a.id, title: 'Halfway there', emailedTo: 1 }) });
  });
});

describe('drafts stay private in campaigns', () => {
  // A union organizer whose grant stops at the union must not learn of a local's draft by adding it to a campaign.
  it("refuses to add another organization's draft to a campaign, as if it did not exist", async () => {
    const slug = `quiet-draft-${Date.now()}`;
    await createDraft(organizer, 'ue-local-222', { slug });
    const campaign = await app.inject({ method: 'POST', url: '/api/organizations/ue-demo/campaigns', headers: as(unionOrganizer), payload: { slug: `c-${slug}`, title: 'Day of action' } });
    expect(campaign.statusCode).toBe(201);
    const add = await app.inject({ method: 'PUT', url: `/api/campaigns/c-${slug}/appeals/${slug}`, headers: as(unionOrganizer) });
    expect(add.statusCode).toBe(404);
    expect(add.json().error.code).toBe('appeal_not_found');
  });

  // Nor by reading a campaign of the union that an organizer whose grant does reach the local put
  // the draft in: the union's campaign is theirs to read, the local's draft is not. Its totals
  // leave the draft's goal out too, or they would tell it.
  it("shows a campaign's organizers only the drafts of organizations they organize", async () => {
    const slug = `shared-draft-${Date.now()}`;
    await createDraft(organizer, 'ue-local-222', { slug, goalMinor: '777000' });
    const [union] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-demo'));
    const reaching = await signInAs(app, 'reaching.organizer@union.example.org', { organizationId: union!.id, role: 'organizer', includesDescendants: true });
    const campaign = await app.inject({ method: 'POST', url: '/api/organizations/ue-demo/campaigns', headers: as(reaching), payload: { slug: `c-${slug}`, title: 'Week of action' } });
    expect(campaign.statusCode).toBe(201);
    const add = await app.inject({ method: 'PUT', url: `/api/campaigns/c-${slug}/appeals/${slug}`, headers: as(reaching) });
    expect(add.statusCode, add.body).toBe(200);
    expect(add.json().appeals.map((a: { slug: string }) => a.slug)).toEqual([slug]);

    const read = await app.inject({ url: `/api/campaigns/c-${slug}`, headers: as(unionOrganizer) });
    expect(read.statusCode).toBe(200);
    expect({ appeals: read.json().appeals, totals: read.json().totals }).toEqual({ appeals: [], totals: [] });
    // An edit's answer is a read of the campaign too.
    const edit = await app.inject({ method: 'PATCH', url: `/api/campaigns/c-${slug}`, headers: as(unionOrganizer), payload: { summary: 'Every local, one week' } });
    expect(edit.statusCode).toBe(200);
    expect(edit.json().appeals).toEqual([]);
    // The organizer whose grant reaches the local still sees it.
    const theirs = await app.inject({ url: `/api/campaigns/c-${slug}`, headers: as(reaching) });
    expect(theirs.json().appeals.map((a: { slug: string }) => a.slug)).toEqual([slug]);

    // Nor by taking it out: removing answered 200 where adding answered 404, which told the draft
    // was there, and took out of the campaign a drive its organizer had put in it.
    const remove = await app.inject({ method: 'DELETE', url: `/api/campaigns/c-${slug}/appeals/${slug}`, headers: as(unionOrganizer) });
    expect([remove.statusCode, remove.json().error?.code]).toEqual([404, 'campaign.appeal_not_in_campaign']);
    expect((await app.inject({ url: `/api/campaigns/c-${slug}`, headers: as(reaching) })).json().appeals.map((a: { slug: string }) => a.slug)).toEqual([slug]);
  });
});

// After the audit trail above, which counts the updates posted before it.
describe('the public updates, a page at a time', () => {
  // The appeal page shows the newest updates and links to older ones: pages must neither skip nor
  // repeat an update, even several posted within one millisecond, and a bad cursor is a 400.
  it('pages the public updates newest first, without gaps, and refuses a cursor it never gave', async () => {
    for (const title of ['Second news', 'Third news', 'Fourth news']) {
      const res = await app.inject({ method: 'POST', url: '/api/appeals/hall-roof/updates', headers: as(organizer), payload: { title, bodyMarkdown: `${title}.` } });
      expect(res.statusCode).toBe(201);
    }
    // Two updates at the same microsecond: the id orders them, and the cursor keeps that order.
    await queryRows(db(), sql`UPDATE appeal_updates SET published_at = (SELECT published_at FROM appeal_updates WHERE title = 'Third news') WHERE title = 'Second news'`);
    const all = (await app.inject('/api/appeals/hall-roof/updates')).json();
    expect(all.nextCursor).toBeNull();
    expect(all.updates).toHaveLength(4);
    expect(all.updates[0].title).toBe('Fourth news');
    expect(all.updates[3].title).toBe('Halfway there');
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res = await app.inject(`/api/appeals/hall-roof/updates?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { updates: { id: string }[]; nextCursor: string | null };
      expect(page.updates).toHaveLength(1);
      seen.push(page.updates[0]!.id);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.updates.map((u: { id: string }) => u.id));

    // Another appeal's update id, a non-id and limits out of range are the caller's mistakes.
    const other = await app.inject({ method: 'POST', url: '/api/appeals/short-drive/updates', headers: as(organizer), payload: { title: 'Thank you all', bodyMarkdown: 'Closed.' } });
    expect(other.statusCode).toBe(201);
    // A cursor is one given out for this appeal, or the caller's mistake said as the donor list
    // says it (400 invalid_cursor), whatever its shape: a client need not tell a typo from a stale id.
    for (const cursor of [other.json().id, 'not-an-id', '12345', randomUUID(), `${other.json().id}x`, '']) {
      const res = await app.inject(`/api/appeals/hall-roof/updates?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, res.statusCode, res.json().error?.code]).toEqual([cursor, 400, 'invalid_cursor']);
    }
    for (const query of [`cursor=${'a'.repeat(101)}`, 'limit=0', 'limit=101', 'limit=ten', 'page=2']) {
      expect((await app.inject(`/api/appeals/hall-roof/updates?${query}`)).statusCode, query).toBe(400);
    }
    // A closed appeal's updates stay public.
    expect((await app.inject('/api/appeals/short-drive/updates')).json().updates.map((u: { title: string }) => u.title)).toEqual(['Thank you all']);
  });
});
