import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberships, organizations, users } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { linkFromMail, signInAs } from '../helpers/sign-in';

// Every JSON API operation the OpenAPI document lists, called with inputs a client could send and
// no form would: wrong types, missing and extra fields, empty and huge strings, numbers past any
// range, dates that are not, odd text, bodies that are not JSON or come as something else, ids that
// name nothing. Each answer is below 500, and a 4xx is the API's error body. The operations come
// from the document, so a route added later is fuzzed without touching this file; a value the
// generator cannot make for it fails the test, naming the operation.

type Schema = {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema | Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
};
type Param = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema: Schema };
interface Op {
  method: string;
  /** OpenAPI form: /api/appeals/{slug} */
  path: string;
  params: Param[];
  body?: Schema;
  eventStream: boolean;
}
interface Caller {
  name: string;
  cookie?: string;
}
/** A value put into a JSON body as written, not as JSON.stringify would write it (1e400, huge integers). */
class Raw {
  constructor(readonly text: string) {}
}
interface Probe {
  /** What the probe changed, for the report. */
  what: string;
  pathValues: Record<string, string>;
  /** Already percent-encoded where it says so. */
  rawPath?: Record<string, string>;
  query: [string, string][];
  body?: { contentType?: string; payload: string | Buffer };
}

const long = 'x'.repeat(100_000);
const rtl = 'مرحبا بالعالم \u202Eevil\u202C';
const emoji = '👷🏽‍♀️🧱✊🏿🇲🇽';
const combining = 'e' + '\u0301\u0302\u0303\u0304\u0308'.repeat(40);
const zeroWidth = '\u200B\u200C\u200D\uFEFF';

type Values = [what: string, value: unknown][];

/** Any field may get any JSON type: the wrong ones, and numbers no JSON.parse keeps as written. */
const wrongTypes = (valid: unknown): Values => [
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['true', true],
  ['false', false],
  ['null', null],
  ['{}', {}],
  ['[]', []],
  ['[valid]', [valid]],
  ['{a:valid}', { a: valid }],
  ['1e400', new Raw('1e400')],
  ['-1e400', new Raw('-1e400')],
  ['1e-400', new Raw('1e-400')],
  ['huge int', new Raw('99999999999999999999999999999')],
  ['-0', new Raw('-0')],
];

/** Text of every shape: what any string field may be sent. */
const texts: Values = [
  ["''", ''],
  ["' '", ' '],
  ["'  1'", '  1'],
  ['100k chars', long],
  ['rtl', rtl],
  ['emoji', emoji],
  ['combining', combining],
  ['zero-width', zeroWidth],
  ['nbsp', '\u00A0'],
  ['markdown html', '<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1))'],
  ['markdown nested', '>'.repeat(200) + ' x'],
];

/** Text that looks like a number, a date, an id, a code: for fields with a format, a pattern or a number in text. */
const lookalikes: Values = [
  ["'0'", '0'],
  ["'1'", '1'],
  ["'-1'", '-1'],
  ["'1.5'", '1.5'],
  ["'1e3'", '1e3'],
  ["'1e400'", '1e400'],
  ["'0x10'", '0x10'],
  ["'NaN'", 'NaN'],
  ["'Infinity'", 'Infinity'],
  ['15 nines', '999999999999999'],
  ['19 digits', '9999999999999999999'],
  ['bigint max+1', '9223372036854775808'],
  ['bigint min-1', '-9223372036854775809'],
  ['30 digits', '999999999999999999999999999999'],
  ['Feb 30', '2026-02-30T00:00:00Z'],
  ['year 0', '0000-01-01T00:00:00Z'],
  ['year 1 +01:00', '0001-01-01T00:30:00+01:00'],
  ['year 9999 -01:00', '9999-12-31T23:59:59-01:00'],
  ['year 9999', '9999-12-31T23:59:59Z'],
  ['1969', '1969-12-31T23:59:59Z'],
  ['fraction 12 digits', '2030-01-01T00:00:00.123456789012Z'],
  ['month 13', '2026-13-01'],
  ['day 0000', '0000-01-01'],
  ['day 0001', '0001-01-01'],
  ['day 1969', '1969-12-31'],
  ['day 9999', '9999-12-31'],
  ['not a date', 'not a date'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['max uuid', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ['random uuid', randomUUID()],
  ['uppercase uuid', randomUUID().toUpperCase()],
  ['currency XXX', 'XXX'],
  ['currency usd', 'usd'],
  ['currency CLF', 'CLF'],
  ['currency XAU', 'XAU'],
  ['currency ZZZ', 'ZZZ'],
  // Where Stripe's amounts differ from ISO's decimals (ISK, UGX; HUF payouts), and 0 and 3 decimals.
  ['currency JPY', 'JPY'],
  ['currency KWD', 'KWD'],
  ['currency HUF', 'HUF'],
  ['currency ISK', 'ISK'],
  ['currency UGX', 'UGX'],
  ['email a@b', 'a@b'],
  ['email long', `x@${'a'.repeat(240)}.org`],
  ['email unicode', 'ü@exämple.org'],
  ['tz Etc/GMT-14', 'Etc/GMT-14'],
  ['tz EST5EDT', 'EST5EDT'],
  ['tz Local', 'Local'],
  ['32 A', 'A'.repeat(32)],
  ['100 A', 'A'.repeat(100)],
  ['101 A', 'A'.repeat(101)],
  ['evt_ 250', `evt_${'a'.repeat(250)}`],
  ['cs_ id', 'cs_test_fuzz'],
  ['constructor', 'constructor'],
  ['__proto__', '__proto__'],
];

/** What an opaque value (a page cursor) could decode to: times, ids and numbers past every range, a role list that is not one. */
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const encodedLookalikes: Values = [
  ['b64 year 0|uuid', b64(`0000-01-01T00:00:00.000Z|${randomUUID()}`)],
  ['b64 year 275760|uuid', b64(`+275760-09-13T00:00:00.000Z|${randomUUID()}`)],
  ['b64 1969|uuid', b64(`1969-12-31T23:59:59.000Z|${randomUUID()}`)],
  ['b64 now|not uuid', b64(`${new Date().toISOString()}|x`)],
  ['b64 bigint max:max', b64('9223372036854775807:9223372036854775807')],
  ['b64 bigint max+1:0', b64('9223372036854775808:0')],
  ['b64 1:min-1', b64('1:-9223372036854775809')],
  ['b64 json tuple', b64(JSON.stringify(['a@example.org', 'admin', randomUUID()]))],
  ['b64 json tuple, surrogate', b64(JSON.stringify(['\ud800', 'admin', randomUUID()]))],
  ['b64 json tuple, bad role', b64(JSON.stringify(['a', 'owner', randomUUID()]))],
  ['b64 json null', b64('null')],
  ['b64 json deep', b64('['.repeat(5000) + ']'.repeat(5000))],
];

const typeOf = (s: Schema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);
/** A string the schema constrains (a pattern, a format, a list), a number, or free text. */
const isConstrained = (s: Schema) => typeOf(s) !== 'string' || s.pattern !== undefined || s.format !== undefined || s.enum !== undefined;

/** Values for one field of this schema: its wrong types, text of every shape, lookalikes where they could pass, and its edges. */
function fieldValues(s: Schema, valid: unknown): Values {
  const out: Values = [...wrongTypes(valid), ...texts];
  if (isConstrained(s)) out.push(...lookalikes);
  if (s.enum) for (const e of s.enum) out.push([`enum ${String(e)}`, e]);
  if (s.enum) out.push(['enum upper', String(s.enum[0]).toUpperCase()], ['enum padded', ` ${String(s.enum[0])} `]);
  if (s.maxLength !== undefined) out.push(['maxLength', 'x'.repeat(s.maxLength)], ['maxLength+1', 'x'.repeat(s.maxLength + 1)]);
  if (s.minLength !== undefined && s.minLength > 0) out.push(['minLength-1', 'x'.repeat(s.minLength - 1)], ['minLength spaces', ' '.repeat(s.minLength)]);
  if (s.minimum !== undefined) out.push(['minimum', s.minimum], ['minimum-1', s.minimum - 1]);
  if (s.maximum !== undefined) out.push(['maximum', s.maximum], ['maximum+1', s.maximum + 1]);
  if (typeof valid === 'string') out.push(['valid padded', ` ${valid} `], ['valid upper', valid.toUpperCase()], ['valid+emoji', `${valid}${emoji}`], ['valid x2', valid + valid]);
  return out;
}

/** The same for a query or path parameter, as text: opaque cursors come in queries, so their decodings too. */
const paramValues = (s: Schema, valid: string): [string, string][] =>
  [...fieldValues(s, valid), ...encodedLookalikes]
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Raw)
    .map(([w, v]) => [w, v instanceof Raw ? v.text : String(v)]);

/** Path segments sent as written (already encoded, or meant to be decoded by the router). */
const rawPathValues: [string, string][] = [
  ['%00', '%00'],
  ['%FF', '%FF'],
  ['%2F', 'a%2Fb'],
  ['dot-dot', '..'],
  ['300 chars', '9'.repeat(300)],
  ['encoded emoji', encodeURIComponent(emoji)],
  ['%20', '%20'],
];

/** Whole bodies of every other shape. */
const bodyShapes: [string, string | undefined, string | Buffer][] = [
  ['empty, json type', 'application/json', ''],
  ['empty, no type', undefined, ''],
  ['not json', 'application/json', '{"a":'],
  ['json nul', 'application/json', 'nul'],
  ['json null', 'application/json', 'null'],
  ['json array', 'application/json', '[]'],
  ['json string', 'application/json', '"x"'],
  ['json number', 'application/json', '1e400'],
  ['json bom', 'application/json', '\uFEFF{}'],
  ['json __proto__', 'application/json', '{"__proto__":{"polluted":1}}'],
  ['json constructor', 'application/json', '{"constructor":{"prototype":{"polluted":1}}}'],
  ['json latin1', 'application/json; charset=latin1', '{}'],
  ['json utf-16', 'application/json; charset=utf-16', '{}'],
  ['json odd type', 'application/json; x=";', '{}'],
  ['vnd+json', 'application/vnd.api+json', '{}'],
  ['form', 'application/x-www-form-urlencoded', 'a=1&b=2&amountMinor=500'],
  ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
  ['text', 'text/plain', 'hello'],
  ['text json', 'text/plain', '{}'],
  ['octet', 'application/octet-stream', Buffer.from([0, 1, 2, 255])],
  ['png junk', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])],
  ['png signature only', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['png type, jpeg bytes', 'image/png', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
  ['jpeg signature only', 'image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0])],
  ['webp signature only', 'image/webp', Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')],
  ['png type with parameters', 'image/png; charset=utf-8', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['png type in capitals', 'IMAGE/PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['png 2.1 MB', 'image/png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2_200_000)])],
  ['json 1.1 MB', 'application/json', JSON.stringify({ a: 'x'.repeat(1_100_000) })],
  ['png empty', 'image/png', Buffer.alloc(0)],
  ['svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
  ['gif', 'image/gif', 'GIF89a'],
  ['body, no type', undefined, '{}'],
];

const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `__raw_${raws.length - 1}__`;
    }
    return v;
  });
  return text.replace(/"__raw_(\d+)__"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Operations of the JSON API, as the OpenAPI document lists them (the webhook and better-auth are hidden there). */
function operationsOf(spec: { paths: Record<string, Record<string, { parameters?: Param[]; requestBody?: { content?: Record<string, { schema: Schema }> }; responses?: Record<string, { content?: Record<string, unknown> }> }>> }): Op[] {
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    if (!path.startsWith('/api/') || path.startsWith('/api/auth/') || path === '/api/stripe/webhook') continue;
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        eventStream: Object.values(op.responses ?? {}).some((r) => r.content && 'text/event-stream' in r.content),
      });
    }
  }
  return ops;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * A value the schema takes, for a field of this name on this operation: real rows where an id must
 * name one (so the request reaches past the lookup), else made from the schema.
 */
function validValue(s: Schema, name: string, op: Op, known: Known, place: Place): unknown {
  if (s.anyOf || s.oneOf) return validValue((s.anyOf ?? s.oneOf)!.find((x) => x.type !== 'null') ?? {}, name, op, known, place);
  if (s.allOf) return validValue(Object.assign({}, ...s.allOf), name, op, known, place);
  const byName = known.byName(name, op, place);
  if (s.enum) return s.enum.find((e) => byName.includes(e as string)) ?? s.enum.find((e) => e !== null);
  if (s.default !== undefined && !s.pattern && !s.format && byName.length === 0) return s.default;
  const type = typeOf(s);
  if (type === 'boolean') return true;
  if (type === 'integer' || type === 'number') return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 10, 10));
  if (type === 'array') return [validValue(Array.isArray(s.items) ? s.items[0]! : (s.items ?? {}), name, op, known, place)];
  if (type === 'object' || s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = validValue(v, k, op, known, place);
    return out;
  }
  const candidates = [
    ...byName,
    s.format === 'email' ? `fuzz-${unique()}@example.org` : undefined,
    s.format === 'uuid' ? randomUUID() : undefined,
    s.format === 'date-time' ? '2031-05-01T12:00:00Z' : undefined,
    s.format === 'date' ? '2026-01-15' : undefined,
    `fz-${unique()}`,
    `k${unique()}${'0'.repeat(20)}`.slice(0, 32),
    '500',
    'USD',
    'Fuzz title text',
  ].filter((c): c is string => c !== undefined);
  const fits = (c: string) =>
    (!s.pattern || new RegExp(s.pattern, 'u').test(c)) && c.length >= (s.minLength ?? 0) && c.length <= (s.maxLength ?? Infinity);
  const found = candidates.find(fits);
  if (found === undefined) throw new Error(`no valid value for ${name} of ${op.method} ${op.path} (${JSON.stringify(s)}): teach the fuzz test one`);
  return found;
}

/** Where a value goes: a path's ids name rows; a body's slug is a new one. */
type Place = 'path' | 'query' | 'body';
/** Rows of the seeded demo (and a few made for this test) that valid-looking ids name. */
interface Known {
  byName(name: string, op: Op, place: Place): string[];
}

let h: PaymentsHarness;
let callers: Caller[];
/** Cursors the API gave out, by `<operation path> <parameter>`. */
const cursors = new Map<string, string[]>();
let known: Known;
let requests = 0;

beforeAll(async () => {
  h = await startPaymentsHarness();
  const db = h.testDb.database.db;
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  const staffEmail = `fuzz-staff-${randomUUID()}@example.org`;
  // One person with every role on the local, so an accepted input reaches whatever is behind any check.
  const staff = await signInAs(h.app, staffEmail, { organizationId: org!.id, role: 'admin' });
  const [staffUser] = await db.select().from(users).where(eq(users.email, staffEmail));
  for (const role of ['organizer', 'treasurer'] as const) await db.insert(memberships).values({ userId: staffUser!.id, organizationId: org!.id, role });
  const memberEmail = `fuzz-member-${randomUUID()}@example.org`;
  const member = await signInAs(h.app, memberEmail, { organizationId: org!.id, role: 'member' });
  callers = [
    { name: 'anonymous' },
    { name: 'staff of ue-local-222', cookie: staff },
    { name: 'federation treasurer', cookie: h.treasurer },
    { name: 'member', cookie: member },
    { name: 'forged session', cookie: `sf.session_token=${'A'.repeat(32)}.${'B'.repeat(43)}` },
  ];

  // Rows for ids to name: a paid gift with a message, a monthly gift of the staff member's own, a
  // draft appeal and campaign, an invitation and its token, a translation, an update's stop token,
  // a parked Stripe event, the appeal's ledger account.
  const paid = await h.donate('buck-a-brick', { amountMinor: '2500', message: 'Solidarity from the fuzz test', updatesOptIn: true, idempotencyKey: `fuzz-${unique()}` });
  h.emulator.controls.payCheckoutSession(paid.sessionId, '4242424242424242');
  await h.settle();
  const monthly = await h.monthlyGiftOnClock(staffEmail, Math.floor(Date.now() / 1000));
  const draft = await h.app.inject({
    method: 'POST',
    url: '/api/organizations/ue-local-222/appeals',
    headers: { cookie: staff },
    payload: { slug: 'fuzz-draft', title: 'Fuzz draft', beneficiary: 'Fuzzers', currency: 'EUR', goalMinor: '10000', unit: { name: 'brick', priceMinor: '100' } },
  });
  expect(draft.statusCode, draft.body).toBe(201);
  const campaign = await h.app.inject({ method: 'POST', url: '/api/organizations/ue-local-222/campaigns', headers: { cookie: staff }, payload: { slug: 'fuzz-campaign', title: 'Fuzz campaign' } });
  expect(campaign.statusCode, campaign.body).toBe(201);
  const invitation = await h.app.inject({ method: 'POST', url: '/api/organizations/ue-local-222/invitations', headers: { cookie: staff }, payload: { email: 'fuzz-invitee@example.org', role: 'member' } });
  expect(invitation.statusCode, invitation.body).toBe(201);
  const inviteToken = (await linkFromMail(h.app, 'fuzz-invitee@example.org', 'invitation')).searchParams.get('token')!;
  const translation = await h.app.inject({ method: 'PUT', url: '/api/appeals/buck-a-brick/translations/fr', headers: { cookie: staff }, payload: { title: 'Un dollar la brique' } });
  expect(translation.statusCode, translation.body).toBe(200);
  const update = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/updates', headers: { cookie: staff }, payload: { title: 'Fuzz update', bodyMarkdown: 'The walls are up.' } });
  expect(update.statusCode, update.body).toBe(201);
  const [updateMail] = await h.testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE kind = 'appeal_update' LIMIT 1`);
  const stopToken = updateMail!.text_body.match(/token=([A-Za-z0-9_-]{32})/)![1]!;
  // The member's role is the one taken away, not the staff's, which the other operations need.
  const [memberUser] = await db.select().from(users).where(eq(users.email, memberEmail));
  const [membership] = await db.select().from(memberships).where(eq(memberships.userId, memberUser!.id));
  const rows = <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => h.testDb.database.rows<T>(q);
  const [event] = await rows<{ id: string }>(sql`UPDATE stripe_events SET status = 'parked' WHERE id = (SELECT id FROM stripe_events ORDER BY received_at LIMIT 1) RETURNING id`);
  const [account] = await rows<{ id: string }>(sql`SELECT a.id::text AS id FROM ledger_accounts a JOIN appeals p ON a.code = 'appeal:' || p.id WHERE p.slug = 'buck-a-brick'`);

  known = {
    byName(name, op, place) {
      const under = (prefix: string) => op.path.startsWith(prefix);
      switch (name) {
        case 'cursor':
        case 'after':
          return cursors.get(`${op.path} ${name}`) ?? [];
        case 'slug':
          if (place === 'body') return [];
          if (under('/api/organizations/')) return ['ue-local-222'];
          if (under('/api/campaigns/')) return ['fuzz-campaign'];
          // Writes that end a thing go to the draft, so the live appeal stays open for the rest.
          if (op.path.endsWith('/close') || op.path.endsWith('/publish')) return ['fuzz-draft'];
          return ['buck-a-brick', 'fuzz-draft'];
        case 'appealSlug':
          return ['buck-a-brick'];
        case 'language':
          // The appeals' own language is English: a body keeps it, so French stays a translation.
          return place === 'path' ? ['fr'] : ['en'];
        case 'donationId':
          return [paid.donationId];
        case 'updateId':
          return [update.json().id];
        case 'id':
          if (under('/api/me/monthly/')) return [monthly.donationId];
          if (under('/api/donations/')) return [paid.donationId];
          if (under('/api/stripe/events/')) return [event!.id];
          if (under('/api/ledger/accounts/')) return [account!.id];
          return [];
        case 'invitationId':
          return [invitation.json().id];
        case 'membershipId':
          return [membership!.id];
        case 'stripeId':
          return [paid.sessionId];
        case 'token':
          return under('/api/appeal-updates/') ? [stopToken] : [inviteToken];
        case 'key':
          return under('/api/donations/') ? [paid.resumeKey] : [];
        case 'currency':
          return ['USD'];
        case 'timeZone':
          return ['Europe/Paris'];
        case 'formatLocale':
          // A region of the gift's language, which a body leaves at its default, English.
          return ['en-GB'];
        case 'idempotencyKey':
          return [`fuzz-${unique()}`];
        case 'amountMinor':
          return ['100'];
        case 'from':
        case 'to':
          return ['2026-01-15'];
        // A campaign's dates, the end after the start.
        case 'startsAt':
          return ['2027-01-01T00:00:00Z'];
        case 'endsAt':
          return ['2027-02-01T00:00:00Z'];
        default:
          return [];
      }
    },
  };
  // A cursor's probes start from one the API gave out (the first page of one item), so the
  // lookalikes of a real cursor reach the page's query.
  const second = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/updates', headers: { cookie: staff }, payload: { title: 'Fuzz update 2', bodyMarkdown: 'The roof is on.' } });
  expect(second.statusCode, second.body).toBe(201);
  for (const op of operationsOf(h.app.swagger() as Parameters<typeof operationsOf>[0])) {
    for (const param of op.params.filter((p) => op.method === 'GET' && p.in === 'query' && (p.name === 'cursor' || p.name === 'after'))) {
      const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(known.byName(n, op, 'path')[0] ?? ''));
      const page = (await h.app.inject({ url: `${path}?limit=1`, headers: { cookie: staff } })).json() as { nextCursor?: unknown; nextAfter?: unknown };
      const next = page.nextCursor ?? page.nextAfter;
      if (typeof next === 'string') cursors.set(`${op.path} ${param.name}`, [next]);
    }
  }
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Probes for one operation: each field, parameter and body shape wrong in every way above, one at a time. */
function probesOf(op: Op): Probe[] {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const validPath = (): Record<string, string> => Object.fromEntries(pathParams.map((p) => [p.name, String(validValue(p.schema, p.name, op, known, 'path'))]));
  const validQuery = (): [string, string][] => queryParams.map((p) => [p.name, String(validValue(p.schema, p.name, op, known, 'query'))]);
  const validBody = () => (op.body ? validValue(op.body, '', op, known, 'body') : undefined);
  const json = (value: unknown) => ({ contentType: 'application/json', payload: serialize(value) });
  const requiredQuery = (except?: string): [string, string][] => validQuery().filter(([k]) => k !== except && queryParams.find((p) => p.name === k)!.required);
  const base = (what: string): Probe => ({ what, pathValues: validPath(), query: requiredQuery(), body: op.body ? json(validBody()) : undefined });

  const probes: Probe[] = [];
  // The valid requests first, with each real row a parameter may name.
  const alternatives = pathParams.map((p) => known.byName(p.name, op, 'path'));
  probes.push(base('valid'));
  for (const [i, values] of alternatives.entries()) for (const v of values.slice(1)) probes.push({ ...base(`valid, ${pathParams[i]!.name}=${v}`), pathValues: { ...validPath(), [pathParams[i]!.name]: v } });
  if (queryParams.length) probes.push({ ...base('valid, every query parameter'), query: validQuery() });
  for (const name of ['zzUnknown', '__proto__', 'constructor', '__proto__[limit]']) probes.push({ ...base(`unknown query parameter ${name}`), query: [...requiredQuery(), [name, '1']] });

  for (const p of pathParams) {
    const valid = String(validValue(p.schema, p.name, op, known, 'path'));
    for (const [what, v] of paramValues(p.schema, valid)) probes.push({ ...base(`path ${p.name} = ${what}`), pathValues: { ...validPath(), [p.name]: v } });
    for (const [what, v] of rawPathValues) probes.push({ ...base(`path ${p.name} = ${what}`), rawPath: { [p.name]: v } });
  }
  for (const p of queryParams) {
    const valid = String(validValue(p.schema, p.name, op, known, 'query'));
    const q = (...values: [string, string][]) => [...requiredQuery(p.name), ...values];
    for (const [what, v] of paramValues(p.schema, valid)) probes.push({ ...base(`query ${p.name} = ${what}`), query: q([p.name, v]) });
    if (p.required) probes.push({ ...base(`query ${p.name} missing`), query: q() });
    probes.push({ ...base(`query ${p.name} twice`), query: q([p.name, valid], [p.name, valid]) });
    probes.push({ ...base(`query ${p.name} twice, differing`), query: q([p.name, valid], [p.name, '2']) });
    probes.push({ ...base(`query ${p.name}[]`), query: q([`${p.name}[]`, valid]) });
    probes.push({ ...base(`query ${p.name}[a]`), query: q([`${p.name}[a]`, valid]) });
    probes.push({ ...base(`query ${p.name} empty`), query: q([p.name, '']) });
  }
  if (op.body) {
    const body = validBody() as Record<string, unknown>;
    const fields = (s: Schema, value: unknown, at: string[]): { at: string[]; schema: Schema; value: unknown; required: boolean }[] => {
      const props = (s.anyOf ?? s.oneOf)?.find((x) => x.properties)?.properties ?? s.properties;
      if (!props || value === null || typeof value !== 'object') return [];
      const required = new Set(((s.anyOf ?? s.oneOf)?.find((x) => x.properties) ?? s).required ?? []);
      return Object.entries(props).flatMap(([k, sub]) => [{ at: [...at, k], schema: sub, value: (value as Record<string, unknown>)[k], required: required.has(k) }, ...fields(sub, (value as Record<string, unknown>)[k], [...at, k])]);
    };
    const setAt = (root: unknown, at: string[], v: unknown, remove = false): unknown => {
      const copy = structuredClone(root) as Record<string, unknown>;
      let node = copy;
      for (const k of at.slice(0, -1)) node = node[k] as Record<string, unknown>;
      if (remove) delete node[at.at(-1)!];
      else node[at.at(-1)!] = v;
      return copy;
    };
    // Each probe's other fields are fresh (a new slug, a new idempotency key), so it is not refused
    // as the replay of an earlier one before its own field is looked at.
    const withField = (at: string[], v: unknown, remove = false) => json(setAt(validBody(), at, v, remove));
    probes.push({ ...base('body: only required fields'), body: json(Object.fromEntries(Object.entries(validBody() as object).filter(([k]) => (op.body!.required ?? []).includes(k)))) });
    probes.push({ ...base('body: {}'), body: json({}) });
    probes.push({ ...base('body: extra field'), body: json({ ...(validBody() as object), zzExtra: 1 }) });
    for (const f of fields(op.body, body, [])) {
      const name = f.at.join('.');
      probes.push({ ...base(`body ${name} missing`), body: withField(f.at, undefined, true) });
      for (const [what, v] of fieldValues(f.schema, f.value)) probes.push({ ...base(`body ${name} = ${what}`), body: withField(f.at, v) });
      // Only that field, alone: a partial edit reaches the code for that one field.
      if (f.at.length === 1 && !(op.body.required ?? []).length) probes.push({ ...base(`body only ${name}`), body: json({ [name]: f.value }) });
    }
  }
  if (bodyMethods.has(op.method)) {
    for (const [what, contentType, payload] of bodyShapes) probes.push({ ...base(`body shape: ${what}`), body: { contentType, payload } });
  }
  return probes;
}

function urlOf(op: Op, probe: Probe): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => probe.rawPath?.[name] ?? encodeURIComponent(probe.pathValues[name] ?? 'x'));
  const query = probe.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return query ? `${path}?${query}` : path;
}

interface Finding {
  op: string;
  caller: string;
  what: string;
  status: number;
  body: string;
}

/** One request: its status, and whether a 4xx came in the API's error body. */
async function send(op: Op, probe: Probe, caller: Caller): Promise<{ status: number; body: string; shaped: boolean }> {
  requests++;
  const headers: Record<string, string> = {};
  if (caller.cookie) headers.cookie = caller.cookie;
  if (probe.body?.contentType) headers['content-type'] = probe.body.contentType;
  const url = urlOf(op, probe);
  let status: number;
  let body: string;
  if (op.eventStream) {
    // A stream stays open: its answer comes as the head is written, and the test hangs up.
    const res = await h.app.inject({ method: op.method as 'GET', url, headers, payloadAsStream: true });
    status = res.statusCode;
    if (String(res.headers['content-type']).startsWith('text/event-stream')) {
      res.raw.res.destroy();
      body = '';
    } else {
      body = '';
      for await (const chunk of res.stream()) body += String(chunk);
    }
  } else {
    const res = await h.app.inject({ method: op.method as 'GET', url, headers, payload: probe.body?.payload });
    status = res.statusCode;
    body = res.body;
  }
  let shaped = true;
  if (status >= 400 && status < 500) {
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
      shaped = typeof parsed.error?.code === 'string' && parsed.error.code !== '' && typeof parsed.error?.message === 'string';
    } catch {
      shaped = false;
    }
  }
  return { status, body, shaped };
}

/**
 * Answers given before any handler runs (validation, the body parser, the router): they do not
 * depend on who asks, so a probe answered so for one caller is not sent again for the others.
 */
const edgeCodes = new Set(['validation_failed', 'malformed_json', 'unsupported_media_type', 'body_too_large', 'bad_url', 'bad_request', 'not_found']);
const answeredAtEdge = (status: number, body: string) => {
  if (status !== 400 && status !== 404 && status !== 413 && status !== 415) return false;
  try {
    return edgeCodes.has((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    return false;
  }
};

describe('the JSON API under malformed input', () => {
  it('answers every operation below 500, and every 4xx in the error body', async () => {
    const ops = operationsOf(h.app.swagger() as Parameters<typeof operationsOf>[0]);
    expect(ops.length).toBeGreaterThan(40);
    const findings: Finding[] = [];
    const record = (op: Op, caller: Caller, probe: Probe, res: { status: number; body: string; shaped: boolean }) => {
      if (res.status >= 500 || !res.shaped) findings.push({ op: `${op.method} ${op.path}`, caller: caller.name, what: probe.what, status: res.status, body: res.body.slice(0, 300) });
    };
    // Writes that end or remove a thing last, so the others meet the rows as they were.
    const ending = (op: Op) => (op.method === 'DELETE' || /\/(close|cancel|refund|retry)$/.test(op.path) ? 1 : 0);
    ops.sort((a, b) => ending(a) - ending(b));
    const [anonymous, staff, ...others] = callers;
    for (const op of ops) {
      // Every probe anonymously; those that pass the edge again as the local's staff, who may do
      // anything there, so an accepted input reaches the code behind the role checks.
      const passed: Probe[] = [];
      for (const probe of probesOf(op)) {
        const res = await send(op, probe, anonymous!);
        record(op, anonymous!, probe, res);
        if (!answeredAtEdge(res.status, res.body)) passed.push(probe);
        // A valid request refused at the edge means the generator made no valid value: it would fuzz nothing behind it.
        else if (probe.what === 'valid') findings.push({ op: `${op.method} ${op.path}`, caller: anonymous!.name, what: 'valid request refused at the edge', status: res.status, body: res.body.slice(0, 300) });
      }
      let staffRefused = false;
      for (const probe of passed) {
        const res = await send(op, probe, staff!);
        record(op, staff!, probe, res);
        if (probe.what === 'valid' && res.status === 403) staffRefused = true;
      }
      // The other callers (a platform treasurer, a plain member) send the valid requests, and all
      // of them where the staff's roles do not reach (the platform's Stripe events).
      for (const caller of others) {
        for (const probe of staffRefused ? passed : passed.filter((p) => p.what.startsWith('valid'))) record(op, caller, probe, await send(op, probe, caller));
      }
    }
    expect(findings).toEqual([]);
    // About 15,700 requests in 20 to 30 s on two cores; far fewer would mean the probes stopped being made.
    expect(requests).toBeGreaterThan(10_000);
  }, 300_000);
});

// What the fuzzing found: times the ISO formats allow and Postgres refuses as sent (year 0000; an
// offset or a day's end carrying 9999 into 10000) reached a query and answered 500.
describe('times Postgres cannot hold', () => {
  it('are refused at the field, and nothing is written', async () => {
    const staff = callers[1]!.cookie!;
    const account = (await h.testDb.database.rows<{ id: string }>(sql`SELECT id::text AS id FROM ledger_accounts ORDER BY id LIMIT 1`))[0]!.id;
    for (const [method, url, payload, path] of [
      ['POST', '/api/organizations/ue-local-222/campaigns', { slug: 'year-zero', title: 'Year zero', startsAt: '0000-01-01T00:00:00Z' }, '/startsAt'],
      ['POST', '/api/organizations/ue-local-222/campaigns', { slug: 'year-zero', title: 'Year zero', endsAt: '9999-12-31T23:59:59-01:00' }, '/endsAt'],
      ['PATCH', '/api/campaigns/fuzz-campaign', { startsAt: '0001-01-01T00:30:00+01:00' }, '/startsAt'],
      ['POST', '/api/organizations/ue-local-222/appeals', { slug: 'year-zero', title: 'Year zero', beneficiary: 'Nobody', currency: 'USD', goalMinor: '100', deadlineAt: '9999-12-31T23:59:59-01:00' }, '/deadlineAt'],
      ['PATCH', '/api/appeals/buck-a-brick', { deadlineAt: '9999-12-31T23:59:59-01:00' }, '/deadlineAt'],
      ['GET', `/api/ledger/accounts/${account}/statement?from=0000-01-01`, undefined, '/from'],
      ['GET', `/api/ledger/accounts/${account}/statement?to=9999-12-31`, undefined, '/to'],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: { cookie: staff }, payload });
      expect({ url, status: res.statusCode, body: res.json() }).toMatchObject({ url, status: 400, body: { error: { code: 'validation_failed', details: [expect.objectContaining({ path })] } } });
    }
    expect(await h.testDb.database.rows(sql`SELECT slug FROM campaigns WHERE slug = 'year-zero' UNION ALL SELECT slug FROM appeals WHERE slug = 'year-zero'`)).toEqual([]);
  });
});
