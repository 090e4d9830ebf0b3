import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { memberships, organizations, users } from '../../db/schema/index';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import { spawnDemoServer, type SpawnedServer } from '../helpers/spawn-server';

// "A bad input gets a clear 4xx and changes nothing. No 500 for anything a user can send." Every
// page and form action under web/src/routes, found from the route files themselves (a new page,
// action or field is fuzzed without touching this file), is sent what a person can send without
// JavaScript (a plain form post) or with it (SvelteKit's enhanced form: x-sveltekit-action, a JSON
// answer): missing, repeated, empty, huge, NUL, invalid UTF-8 and lone-surrogate fields, odd
// numbers, dates, ids and time zones, other body types, odd query strings, path parameters and
// cookies, as an anonymous visitor and as an admin, a treasurer and an organizer of UE Local 222.
// No answer may be a 5xx. No browser: fetch with the session cookie and a same-origin Origin.
//
// Each action gets its field-by-field cases once, from the person its page shows the most forms
// to (the one who can use it: the treasurer for a refund, an admin for the people page); everyone
// else gets the whole-body cases. That keeps the file well under a minute and a half on two cores.

const root = fileURLToPath(new URL('../..', import.meta.url));
const webSrc = join(root, 'web/src');
const routesDir = join(webSrc, 'routes');
const org = 'ue-local-222';
const publicAppeal = 'buck-a-brick';

// ---------------------------------------------------------------------------------------------
// The routes, their actions and the fields and query parameters they read, from the source.

interface Route {
  /** '/manage/[org]/people' */
  id: string;
  page: boolean;
  /** Form actions of +page.server.ts ('default' for a default action). */
  actions: { name: string; fields: string[] }[];
  /** Methods a +server.ts exports beside GET (the language form posts to one). */
  endpointMethods: string[];
  /** Field names the endpoint reads (for +server.ts). */
  endpointFields: string[];
  queryParams: string[];
  params: string[];
}

const read = (file: string) => readFileSync(file, 'utf8');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** `$lib/…` and relative imports of a source file that live in web/src, resolved to files. */
function localImports(file: string): string[] {
  const out: string[] = [];
  for (const [, spec] of read(file).matchAll(/from\s+'([^']+)'/g)) {
    let base: string | null = null;
    if (spec!.startsWith('$lib/')) base = join(webSrc, 'lib', spec!.slice(5));
    else if (spec!.startsWith('.')) base = resolve(dirname(file), spec!);
    if (!base || !base.startsWith(webSrc)) continue;
    for (const candidate of [base, `${base}.ts`, `${base}.js`, `${base}/index.ts`]) {
      try {
        if (statSync(candidate).isFile()) {
          out.push(candidate);
          break;
        }
      } catch {
        /* not this one */
      }
    }
  }
  return out;
}

/** The body of a named function (or arrow const) in `source`, for following a helper's reads. */
function functionBody(source: string, name: string): string | null {
  const start = source.search(new RegExp(`(?:function\\s+${name}\\s*[(<]|const\\s+${name}\\s*=)`));
  if (start < 0) return null;
  const end = source.indexOf('\n}\n', start);
  const arrowEnd = source.indexOf(';\n', start);
  const stop = /^const/.test(source.slice(start)) && arrowEnd >= 0 && (end < 0 || arrowEnd < end) ? arrowEnd : end;
  return source.slice(start, stop < 0 ? undefined : stop + 2);
}

/** Form field names a piece of server code reads. */
function fieldsRead(code: string): string[] {
  const names = new Set<string>();
  for (const re of [/\.get\('([A-Za-z_]\w*)'\)/g, /formText(?:Shown)?\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*'([A-Za-z_]\w*)'/g, /\btext\(\s*form\s*,\s*'([A-Za-z_]\w*)'/g]) {
    for (const [, n] of code.matchAll(re)) names.add(n!);
  }
  if (/typedEmail\(\s*form\s*\)/.test(code)) names.add('email');
  return [...names];
}

/**
 * The fields an action reads: in its own body, and in the helpers it calls (defined in its file or
 * in a web/src module it imports), one level deep, then theirs again.
 */
function actionFields(block: string, file: string): string[] {
  const sources = [file, ...localImports(file)].map(read);
  const fields = new Set(fieldsRead(block));
  const seen = new Set<string>();
  let frontier = [block];
  for (let depth = 0; depth < 3 && frontier.length; depth++) {
    const next: string[] = [];
    for (const code of frontier) {
      for (const [, callee] of code.matchAll(/\b([A-Za-z_]\w*)\(/g)) {
        if (seen.has(callee!)) continue;
        seen.add(callee!);
        for (const src of sources) {
          const body = functionBody(src, callee!);
          if (body) {
            fieldsRead(body).forEach((f) => fields.add(f));
            next.push(body);
          }
        }
      }
    }
    frontier = next;
  }
  return [...fields];
}

/** The actions of a +page.server.ts: each name and the fields it reads. */
function actionsOf(file: string): Route['actions'] {
  const source = read(file);
  const start = source.search(/export const actions\b/);
  if (start < 0) return [];
  const block = source.slice(start);
  // Written out (`name: async …`) or in shorthand (`name,`: a function of an imported module).
  const heads = [...block.matchAll(/^ {2}([A-Za-z_]\w*)(?:\s*:\s*async\b|,$)/gm)];
  return heads.map((h, i) => {
    const body = h[0].endsWith(',') ? `${h[1]}(` : block.slice(h.index!, heads[i + 1]?.index ?? block.length);
    return { name: h[1]!, fields: actionFields(body, file) };
  });
}

function discoverRoutes(): Route[] {
  const dirs = new Map<string, string[]>();
  for (const file of walk(routesDir)) {
    const d = dirname(file);
    dirs.set(d, [...(dirs.get(d) ?? []), file]);
  }
  const routes: Route[] = [];
  for (const [dir, files] of dirs) {
    const has = (name: string) => files.some((f) => f.endsWith(`/${name}`));
    const page = has('+page.svelte') || has('+page.server.ts');
    const endpoint = files.find((f) => f.endsWith('/+server.ts'));
    if (!page && !endpoint) continue;
    const id = `/${relative(routesDir, dir)}`.replace(/\/$/, '') || '/';
    // Everything the route's own files (and the web modules they import) read of the query string.
    const sources = files.filter((f) => /\.(ts|svelte)$/.test(f));
    const withImports = new Set(sources.flatMap((f) => [f, ...localImports(f)]));
    const queryParams = new Set(['lang']); // the hooks read ?lang= on every page
    for (const f of withImports) for (const [, n] of read(f).matchAll(/searchParams\.(?:get|has|getAll)\('([^']+)'\)/g)) queryParams.add(n!);
    const serverFile = files.find((f) => f.endsWith('/+page.server.ts'));
    const endpointSource = endpoint ? read(endpoint) : '';
    routes.push({
      id,
      page,
      actions: serverFile ? actionsOf(serverFile) : [],
      endpointMethods: [...endpointSource.matchAll(/export const (POST|PUT|PATCH|DELETE)\b/g)].map((x) => x[1]!),
      endpointFields: endpoint ? actionFields(endpointSource, endpoint) : [],
      queryParams: [...queryParams],
      params: [...id.matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!),
    });
  }
  return routes.sort((a, b) => a.id.localeCompare(b.id));
}

// ---------------------------------------------------------------------------------------------
// What is sent. Values are written percent-encoded, so that bytes no string holds (%FF, a lone
// surrogate's UTF-8 %ED%A0%80) reach the server as they are.

const enc = (s: string) => encodeURIComponent(s);
const huge = 'x'.repeat(100_000);
/**
 * Malformed values for one field at a time, percent-encoded. A urlencoded body's invalid UTF-8 and
 * lone surrogates read alike (U+FFFD), so one of them is enough here; the multipart cases send raw bytes.
 */
const badValues: string[] = [
  '', // empty
  huge, // 100k characters
  'a%00b', // NUL
  '%ED%A0%80', // a lone surrogate, as UTF-8
  '-1',
  '1e400',
  '%201', // ' 1'
  '1.5',
  '99999999999999999999999999999',
  '2024-02-30', // no such day
  'not-a-uuid',
  '%2F%00%0A', // a path on this site, with a NUL and a line break (for the fields that say where to go next)
];
/** The same for every field at once (the whole-body cases). */
const everyFieldValues = ['%00', '%FF%FE', '%E2%80%AE%E2%80%8B', 'Mars%2FOlympus', '%2B275760-09-13', '------------------------------------', '%2F%2Fevil.example%2F'];

/** For query strings. URLs stay under Node's 16 KB of headers, except the one case that tests it. */
const badQueryValues = ['', '%00', '%FF', '%ED%A0%80', 'x'.repeat(1_000), '-1', '1e400', '%201', '99999999999999999999999', '2024-02-30', '------------------------------------', '%2F%2Fevil.example', '%2F%00%0A'];
const fewQueryValues = ['%00', '%FF', 'x'.repeat(1_000)];
const badPathSegments = ['%00', '%FF', '%ED%A0%80', 'x'.repeat(3_000), 'not-a-uuid', '------------------------------------', '00000000-0000-0000-0000-000000000000', '99999999999999999999999', 'a%2Fb', 'BUCK-A-BRICK'];
const fewPathSegments = ['%00', '%FF', 'x'.repeat(3_000), '------------------------------------'];
/** What a browser itself sends: its time zone and language cookies, a session cookie, Accept-Language. */
const cookieCases = ['tz=Mars%2FOlympus', 'tz=Etc%2FGMT%2B12', 'tz=Factory', 'tz=America%2FCiudad_Juarez', 'tz=%FF%00', 'lang=%00', 'sf.session_token=%FF%00garbage', 'sf.session_data=%7B'];

/** Plausible values for fields a page did not render (a confirm step's hidden fields, say). */
const fieldDefaults: Record<string, string> = {
  email: 'fuzz-donor@example.org',
  name: 'Fuzz Donor',
  message: 'Solidarity',
  units: '5',
  amount: '5',
  preset: '500',
  title: 'Fuzz drive title',
  slug: 'fuzz-made-drive',
  summary: 'A summary',
  story: 'A story',
  beneficiary: 'A beneficiary',
  language: 'fr',
  currency: 'USD',
  goal: '1000',
  unitName: 'brick',
  unitPrice: '1',
  deadline: '2099-12-31',
  body: 'An update',
  mode: 'add',
  messageStatus: 'hidden',
  role: 'member',
  lang: 'fr',
  token: 'x'.repeat(40),
  event: 'evt_fuzz123',
  amountMinor: '100',
  reason: 'duplicate',
  next: '/account',
  returnTo: '/',
};
const uuidFields = new Set(['id', 'donationId', 'invitationId', 'membershipId', 'idempotencyKey', 'requestKey']);
const defaultOf = (field: string) => (uuidFields.has(field) ? randomUUID() : (fieldDefaults[field] ?? 'x'));

type Pairs = [string, string][]; // [name, percent-encoded value]

interface Body {
  label: string;
  body?: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
}

const urlencodedType = 'application/x-www-form-urlencoded';
const urlencoded = (label: string, pairs: Pairs): Body => ({ label, body: pairs.map(([k, v]) => `${enc(k)}=${v}`).join('&'), contentType: urlencodedType });

/** Percent-encoded text as its bytes. */
function bytesOf(encoded: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      out.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(encoded[i]!, 'utf8'));
  }
  return Buffer.from(out);
}

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A multipart body written by hand, so that part headers (a file's type and name) can be anything a client sends. */
function multipart(label: string, parts: { name: string; value: Buffer; filename?: string; type?: string }[]): Body {
  const boundary = `----fuzz${randomUUID().replaceAll('-', '')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.type !== undefined ? `\r\nContent-Type: ${p.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`, 'latin1'), p.value, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { label, body: new Uint8Array(Buffer.concat(chunks)), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Bodies that are no form at all, or not one a form sends: for everyone, on every action. */
function wholeBodies(baseline: Record<string, string>): Body[] {
  const base: Pairs = Object.entries(baseline).map(([k, v]) => [k, enc(v)]);
  return [
    urlencoded('baseline', base),
    { label: 'empty body', body: '', contentType: urlencodedType },
    { label: 'no body, no type' },
    { label: 'json body', body: JSON.stringify(baseline), contentType: 'application/json' },
    { label: 'text/plain body', body: Object.entries(baseline).map(([k, v]) => `${k}=${v}`).join('\r\n'), contentType: 'text/plain' },
    { label: 'multipart without boundary', body: 'garbage', contentType: 'multipart/form-data' },
    { label: 'multipart, cut short', body: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', contentType: 'multipart/form-data; boundary=b' },
    // Big enough that the server cannot buffer it whole: an action that never reads it must still
    // leave the keep-alive connection usable for the next request (see the keep-alive test below).
    urlencoded('200 kB of an unknown field', [['zzz', 'z'.repeat(200_000)]]),
  ];
}

/** The rest, for the one person who gets an action's full set: odd encodings, then one field at a time. */
function fieldBodies(baseline: Record<string, string>, fields: string[]): Body[] {
  const base: Pairs = Object.entries(baseline).map(([k, v]) => [k, enc(v)]);
  const without = (f: string) => base.filter(([k]) => k !== f);
  const bodies: Body[] = [
    urlencoded('only an unknown field', [['zzz', '1']]),
    urlencoded('every field twice', [...base, ...base]),
    { label: 'broken percent-encoding', body: `${base.map(([k, v]) => `${enc(k)}=${v}`).join('&')}&a=%&b=%zz&=&&c`, contentType: urlencodedType },
    { label: 'urlencoded, latin-1 charset', body: new URLSearchParams(baseline).toString().replace(/%C3%A9/g, '%E9') + '&x=%E9', contentType: `${urlencodedType}; charset=iso-8859-1` },
    { label: 'application/x-sveltekit-formdata', body: 'x', contentType: 'application/x-sveltekit-formdata' },
    multipart('multipart baseline', Object.entries(baseline).map(([name, v]) => ({ name, value: Buffer.from(v) }))),
    multipart('multipart, every field a file', Object.keys(baseline).map((name) => ({ name, value: png, filename: 'x.png', type: 'image/png' }))),
    multipart('multipart, files of odd type and name', [
      ...Object.entries(baseline).map(([name, v]) => ({ name, value: Buffer.from(v) })),
      ...['cover', ...fields].map((name) => ({ name, value: png, filename: '\u00ff\u0000"x.png', type: 'image/png\u0000; x=\u00e9' })),
    ]),
    multipart('multipart, invalid UTF-8 and NUL', Object.keys(baseline).map((name) => ({ name, value: bytesOf('%FF%00%ED%A0%80') }))),
    ...everyFieldValues.map((v) => urlencoded(`every field ${v.slice(0, 20)}`, Object.keys(baseline).map((k): [string, string] => [k, v]))),
  ];
  for (const f of fields) {
    bodies.push(urlencoded(`${f} missing`, without(f)));
    bodies.push(urlencoded(`${f} repeated`, [...base, [f, enc(baseline[f] ?? '')], [f, 'second']]));
    for (const v of badValues) bodies.push(urlencoded(`${f}=${v.slice(0, 40)}`, [...without(f), [f, v]]));
  }
  return bodies;
}

// ---------------------------------------------------------------------------------------------
// The product, its people, and reading its pages.

let db: TestDatabase;
let server: SpawnedServer;
let base = '';

interface Who {
  role: 'anonymous' | 'admin' | 'treasurer' | 'organizer';
  cookie: string;
}
const people: Who[] = [];

async function signIn(email: string): Promise<string> {
  return (await sessionCookiesOverHttp(base, db.database, email)).join('; ');
}

async function grant(email: string, role: 'admin' | 'treasurer' | 'organizer'): Promise<void> {
  const [user] = await db.database.db.select().from(users).where(eq(users.email, email));
  const [o] = await db.database.db.select().from(organizations).where(eq(organizations.slug, org));
  await db.database.db.insert(memberships).values({ userId: user!.id, organizationId: o!.id, role, includesDescendants: false });
}

const decodeEntities = (s: string) =>
  s.replace(/&(amp|quot|#39|lt|gt|#x27|#34);/g, (_, e: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>', '#x27': "'", '#34': '"' })[e]!);
const attr = (tag: string, name: string) => {
  const hit = tag.match(new RegExp(`\\s${name}=(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`));
  return hit ? decodeEntities(hit[1] ?? hit[2] ?? hit[3] ?? '') : null;
};

/** The POST forms a page renders: the action each names, and the values its fields hold. */
function formsOf(html: string): Map<string, Record<string, string>> {
  const forms = new Map<string, Record<string, string>>();
  for (const [, open, inner] of html.matchAll(/(<form\b[^>]*>)([\s\S]*?)<\/form>/g)) {
    if ((attr(open!, 'method') ?? '').toUpperCase() !== 'POST') continue;
    const action = attr(open!, 'action') ?? '';
    const name = action.match(/[?&]\/([A-Za-z_]\w*)/)?.[1] ?? 'default';
    const values: Record<string, string> = forms.get(name) ?? {};
    for (const [tag] of inner!.matchAll(/<input\b[^>]*>/g)) {
      const n = attr(tag, 'name');
      const type = (attr(tag, 'type') ?? 'text').toLowerCase();
      if (!n || type === 'file' || type === 'submit') continue;
      if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag)) {
        if (type === 'radio' && !(n in values)) values[n] = attr(tag, 'value') ?? 'on';
        continue;
      }
      values[n] = attr(tag, 'value') ?? (type === 'checkbox' ? 'on' : '');
    }
    for (const [, tag, text] of inner!.matchAll(/(<textarea\b[^>]*>)([\s\S]*?)<\/textarea>/g)) {
      const n = attr(tag!, 'name');
      if (n) values[n] = decodeEntities(text!);
    }
    for (const [, tag, options] of inner!.matchAll(/(<select\b[^>]*>)([\s\S]*?)<\/select>/g)) {
      const n = attr(tag!, 'name');
      const opts = [...options!.matchAll(/<option\b[^>]*>/g)].map((o) => o[0]);
      const chosen = opts.find((o) => /\sselected\b/.test(o)) ?? opts[0];
      if (n && chosen) values[n] = attr(chosen, 'value') ?? '';
    }
    forms.set(name, values);
  }
  return forms;
}

// ---------------------------------------------------------------------------------------------
// Sending, and what counts as a 5xx.

const failures: string[] = [];
let requests = 0;

interface Send {
  who: Who;
  method: string;
  path: string;
  body?: Body;
  enhanced?: boolean;
  headers?: Record<string, string>;
  label: string;
  /** Sent this many times at once. */
  times?: number;
}

async function send(s: Send): Promise<void> {
  if (s.times && s.times > 1) {
    await Promise.all(Array.from({ length: s.times }, () => send({ ...s, times: 1 })));
    return;
  }
  requests++;
  const headers: Record<string, string> = { origin: base, accept: s.enhanced ? 'application/json' : 'text/html', ...s.headers };
  if (s.who.cookie) headers.cookie = [s.who.cookie, headers.cookie].filter(Boolean).join('; ');
  if (s.enhanced) headers['x-sveltekit-action'] = 'true';
  if (s.body?.contentType) headers['content-type'] = s.body.contentType;
  const what = `${s.who.role} ${s.method} ${s.path.slice(0, 100)}${s.enhanced ? ' (enhanced)' : ''} [${s.label.slice(0, 80)}]`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${s.path}`, { method: s.method, headers, body: s.body?.body, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    text = await res.text();
  } catch (err) {
    failures.push(`${what}: no answer (${(err as Error).message})`);
    return;
  }
  let status = res.status;
  // The enhanced form's answer is 200 with the action's own status inside.
  if ((res.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      const parsed = JSON.parse(text) as { type?: string; status?: number };
      if ((parsed.type === 'failure' || parsed.type === 'error') && typeof parsed.status === 'number') status = Math.max(status, parsed.status);
    } catch {
      /* not an action's answer */
    }
  }
  if (status >= 500) failures.push(`${what}: ${status} ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
}

async function pool<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------

const routes = discoverRoutes();
const driveSlug = `fuzz-${randomUUID().slice(0, 8)}`;
/** Good values for the path parameters, by route and parameter or by parameter: found at setup. */
const good: Record<string, string> = {};
const pathOf = (route: Route, overrides: Record<string, string> = {}) =>
  route.id.replace(/\[([^\]]+)\]/g, (_, p: string) => overrides[p] ?? good[`${route.id}:${p}`] ?? good[p] ?? 'x').replace(/\/\([^)]+\)/g, '') || '/';

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  server = await spawnDemoServer(db.url, {
    // The limits would answer 429 long before the checks behind them are reached.
    SIGN_IN_RATE_LIMIT_PER_MINUTE: '100000',
    DONATION_RATE_LIMIT_PER_MINUTE: '100000',
  });
  base = server.url;
  people.push({ role: 'anonymous', cookie: '' });
  for (const role of ['admin', 'treasurer', 'organizer'] as const) {
    const email = `fuzz-${role}@example.org`;
    const cookie = await signIn(email);
    await grant(email, role);
    people.push({ role, cookie });
  }
  const organizer = people.find((p) => p.role === 'organizer')!;
  // A live drive of the fuzz's own to manage: closing it harms no other page's cases.
  const made = await fetch(`${base}/api/organizations/${org}/appeals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, cookie: organizer.cookie },
    body: JSON.stringify({ slug: driveSlug, title: 'Fuzz drive', summary: 'Fuzz', storyMarkdown: 'Fuzz', beneficiary: 'Fuzz', language: 'en', currency: 'USD', goalMinor: '100000', unit: { name: 'brick', priceMinor: '100' }, deadlineAt: null }),
  });
  expect(made.status, await made.text()).toBe(201);
  expect((await fetch(`${base}/api/appeals/${driveSlug}/publish`, { method: 'POST', headers: { origin: base, cookie: organizer.cookie } })).status).toBeLessThan(300);
  // A paid monthly gift from the organizer, through the donate form as a person without JavaScript
  // gives: their account page then has a receipt and a monthly gift, the treasurer a gift to refund.
  const page = await fetch(`${base}/appeals/${publicAppeal}`, { headers: { cookie: organizer.cookie } });
  const donate = formsOf(await page.text()).get('donate') ?? {};
  const posted = await fetch(`${base}/appeals/${publicAppeal}?/donate`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: base, accept: 'text/html', cookie: organizer.cookie, 'content-type': urlencodedType },
    body: new URLSearchParams({ ...donate, units: '50', email: 'fuzz-organizer@example.org', monthly: 'on', message: 'Solidarity' }),
  });
  expect(posted.status, await posted.text()).toBe(303);
  expect((await submitCheckoutForm(posted.headers.get('location')!, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  let gift: { id: string } | undefined;
  for (let i = 0; i < 100 && !gift; i++) {
    [gift] = await queryRows<{ id: string }>(db.database.db, sql`SELECT id FROM donations WHERE donor_email = 'fuzz-organizer@example.org' AND status = 'succeeded'`);
    if (!gift) await new Promise((r) => setTimeout(r, 200));
  }
  expect(gift, 'the fuzz gift was paid').toBeDefined();
  const treasurer = people.find((p) => p.role === 'treasurer')!;
  const treasury = await (await fetch(`${base}/treasury`, { headers: { cookie: treasurer.cookie } })).text();
  const account = treasury.match(/\/treasury\/accounts\/(\d+)/)?.[1];
  expect(account, 'the treasury page links an account').toBeDefined();
  Object.assign(good, {
    slug: publicAppeal,
    '/manage/appeals/[slug]:slug': driveSlug,
    org,
    '/account/receipts/[id]:id': gift!.id,
    '/treasury/donations/[id]:id': gift!.id,
    '/treasury/accounts/[id]:id': account!,
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe('no 5xx from any page or form action', () => {
  it('finds the routes, their actions and their fields from the files', () => {
    const found = routes.flatMap((r) => r.actions.map((a) => `${r.id}?/${a.name}`));
    // A check of the discovery, not a list to keep up to date: a few known ones are among those found.
    expect(found).toEqual(expect.arrayContaining(['/appeals/[slug]?/donate', '/manage/appeals/[slug]?/save', '/treasury/donations/[id]?/review', '/signout?/default']));
    const fieldsOf = (route: string, action: string) => routes.find((r) => r.id === route)?.actions.find((a) => a.name === action)?.fields;
    expect(fieldsOf('/appeals/[slug]', 'donate')).toEqual(expect.arrayContaining(['email', 'units', 'amount', 'requestKey']));
    expect(fieldsOf('/manage/appeals/[slug]', 'save')).toEqual(expect.arrayContaining(['currency', 'goal', 'deadline']));
    expect(fieldsOf('/manage/appeals/[slug]', 'untranslate')).toEqual(['language']);
    // An action in shorthand, from a module of its own.
    expect(fieldsOf('/account', 'pause')).toEqual(expect.arrayContaining(['id', 'months', 'requestKey']));
    expect(routes.filter((r) => r.page).length).toBeGreaterThan(15);
  });

  it('answers every malformed form, odd URL and odd cookie with less than 500, as each person', async () => {
    const started = Date.now();
    const plan: Send[] = [];
    const closing: Send[] = []; // closing the drive, then ending the sessions: after everything else
    const signingOut: Send[] = [];
    for (const route of routes) {
      // Each person's view of the page: its status, and the forms it shows them.
      const views = await Promise.all(
        people.map(async (who) => {
          if (!route.page) return { who, shown: 0, forms: new Map<string, Record<string, string>>() };
          const res = await fetch(`${base}${pathOf(route)}`, { redirect: 'manual', headers: who.cookie ? { cookie: who.cookie } : {} });
          const html = await res.text();
          const forms = formsOf(html);
          // How much the page shows them: its forms first, then its length (a treasurer's treasury page, not "not allowed").
          return { who, shown: forms.size * 1e7 + (res.status === 200 ? html.length : 0), forms };
        }),
      );
      // The one who gets the full set: the page's own user, to whom it shows the most.
      const main = views.reduce((best, v) => (v.shown > best.shown ? v : best));
      for (const action of route.actions) {
        const query = action.name === 'default' ? '' : `?/${action.name}`;
        const target = route.id === '/signout' ? signingOut : action.name === 'close' ? closing : plan;
        for (const view of views) {
          // The form as this person's page renders it, over plausible values for what it did not render.
          const baseline: Record<string, string> = { ...Object.fromEntries(action.fields.map((f) => [f, defaultOf(f)])), ...view.forms.get(action.name) };
          const bodies = view === main ? [...wholeBodies(baseline), ...fieldBodies(baseline, action.fields)] : wholeBodies(baseline);
          bodies.forEach((body, i) => target.push({ who: view.who, method: 'POST', path: `${pathOf(route)}${query}`, body, enhanced: i % 2 === 1, label: `${action.name}: ${body.label}` }));
          if (view !== main) continue;
          plan.push({ who: view.who, method: 'POST', path: `${pathOf(route)}?/${action.name}x`, body: urlencoded('no such action', []), label: 'unknown action' });
          // A double click: the same form twice at once. And the same form from another site.
          const same = urlencoded('baseline', Object.entries(baseline).map(([k, v]) => [k, enc(v)]));
          target.push({ who: view.who, method: 'POST', path: `${pathOf(route)}${query}`, body: same, label: `${action.name}: twice at once`, times: 2 });
          plan.push({ who: view.who, method: 'POST', path: `${pathOf(route)}${query}`, body: same, headers: { origin: 'https://evil.example' }, label: `${action.name}: from another site` });
          for (const param of route.params) {
            badPathSegments.forEach((seg, i) =>
              plan.push({ who: view.who, method: 'POST', path: `${pathOf(route, { [param]: seg })}${query}`, body: urlencoded('baseline', Object.entries(baseline).map(([k, v]) => [k, enc(v)])), enhanced: i % 2 === 1, label: `${action.name}: ${param}=${seg.slice(0, 30)}` }),
            );
          }
        }
      }
      for (const method of route.endpointMethods) {
        // The form endpoints (the language switcher's /language, the story preview) for everyone.
        const baseline = Object.fromEntries(route.endpointFields.map((f) => [f, defaultOf(f)]));
        for (const who of people) {
          const bodies = who === people[0] ? [...wholeBodies(baseline), ...fieldBodies(baseline, route.endpointFields)] : wholeBodies(baseline);
          bodies.forEach((body) => plan.push({ who, method, path: route.id, body, label: `${method}: ${body.label}` }));
        }
      }
      if (!route.page) continue;
      const at = pathOf(route);
      const params = route.queryParams;
      for (const view of views) {
        const who = view.who;
        const full = view === main;
        plan.push({ who, method: 'GET', path: at, label: 'plain' });
        if (route.actions.length === 0) plan.push({ who, method: 'POST', path: `${at}?/x`, body: urlencoded('a post to a page without actions', [['a', '1']]), label: 'no actions' });
        for (const v of full ? badQueryValues : fewQueryValues) plan.push({ who, method: 'GET', path: `${at}?${params.map((p) => `${p}=${v}`).join('&')}`, label: `every parameter ${v.slice(0, 30)}` });
        for (const param of route.params) for (const seg of full ? badPathSegments : fewPathSegments) plan.push({ who, method: 'GET', path: pathOf(route, { [param]: seg }), label: `${param}=${seg.slice(0, 30)}` });
        if (!full) continue;
        for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) plan.push({ who, method, path: at, body: urlencoded('a form', [['a', '1']]), label: method });
        for (const v of fewQueryValues) plan.push({ who, method: 'GET', path: `${at}?${params.map((p) => `${p}=1&${p}=${v}&${p}=`).join('&')}`, label: `every parameter three times, ${v.slice(0, 30)}` });
        for (const p of params) for (const v of ['%00', '-1', '2024-02-30']) plan.push({ who, method: 'GET', path: `${at}?${p}=${v}`, label: `${p}=${v}` });
        plan.push({ who, method: 'GET', path: `${at}?${'a=1&'.repeat(1_000)}`, label: 'a thousand parameters' });
        plan.push({ who, method: 'GET', path: `${at}?q=${'x'.repeat(100_000)}`, label: '100k query' });
        plan.push({ who, method: 'GET', path: `${at}?%FF=%FF&%=%&=&${params[0]}`, label: 'broken query' });
        for (const cookie of cookieCases) plan.push({ who, method: 'GET', path: at, headers: { cookie }, label: `cookie ${cookie.slice(0, 30)}` });
        plan.push({ who, method: 'GET', path: at, headers: { 'accept-language': `xx-YY;q=abc, ;q=, ar;q=2, ${'ja;q=0.5,'.repeat(300)}` }, label: 'odd accept-language' });
      }
    }
    // A gift from a browser whose zone is odd but real (or no zone at all): kept with the gift, shown on the receipt.
    for (const tz of ['Etc/GMT+12', 'Factory', 'EST5EDT', 'America/Ciudad_Juarez', 'Antarctica/Troll', 'Mars/Olympus']) {
      plan.push({ who: people.find((p) => p.role === 'organizer')!, method: 'POST', path: `/appeals/${publicAppeal}?/donate`, headers: { cookie: `tz=${enc(tz)}` }, body: urlencoded('a gift with a zone', [['units', '3'], ['email', enc('fuzz-organizer@example.org')], ['requestKey', randomUUID()]]), label: `donate in ${tz}` });
    }
    await pool(plan, 8, send);
    await pool(closing, 4, send);
    await pool(signingOut, 4, send);
    // The pages still answer afterwards: nothing took the process down.
    expect(server.process.exitCode, server.output().slice(-2_000)).toBeNull();
    for (const who of people) for (const path of ['/', '/account', '/treasury', `/manage/appeals/${driveSlug}`]) await send({ who, method: 'GET', path, label: 'afterwards' });
    console.info(`form-fuzz: ${requests} requests to ${routes.length} routes (${routes.reduce((n, r) => n + r.actions.length, 0)} form actions) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Said once per case, with who met it: the same case usually fails for everyone.
    const cases = new Map<string, string[]>();
    for (const f of failures) {
      const [who, ...rest] = f.split(' ');
      const key = rest.join(' ');
      cases.set(key, [...(cases.get(key) ?? []), who!]);
    }
    expect(failures.length, `${failures.length} answers were 5xx, in ${cases.size} cases:\n${[...cases].map(([c, who]) => `${who.join('+')} ${c}`).join('\n')}`).toBe(0);
  }, 180_000);

  // Before, a refusal came back as 200 with the error: an enhanced form took it for a success.
  it('answers an invitation the API refuses (another address, no token) with its 4xx and the reason', async () => {
    // People of its own: the fuzz above signs its people out (its sign-out posts).
    const adminEmail = `inviting-admin-${randomUUID().slice(0, 8)}@example.org`;
    const adminCookie = await signIn(adminEmail);
    await grant(adminEmail, 'admin');
    const someoneElse = await signIn(`someone-else-${randomUUID().slice(0, 8)}@example.org`);
    const invitee = `invitee-${randomUUID().slice(0, 8)}@example.org`;
    const invited = await fetch(`${base}/api/organizations/${org}/invitations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, cookie: adminCookie },
      body: JSON.stringify({ email: invitee, role: 'treasurer' }),
    });
    expect(invited.status, await invited.text()).toBe(201);
    const [mail] = await queryRows<{ text_body: string }>(db.database.db, sql`SELECT text_body FROM outbox_emails WHERE kind = 'invitation' AND to_address = ${invitee}`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const accept = (form: Record<string, string>) =>
      fetch(`${base}/invitations/accept?token=${token}`, { method: 'POST', headers: { origin: base, accept: 'text/html', cookie: someoneElse, 'content-type': urlencodedType }, body: new URLSearchParams(form) });
    const wrongPerson = await accept({ token });
    expect(wrongPerson.status).toBe(403);
    expect(await wrongPerson.text()).toContain('This invitation was sent to another email address.');
    expect((await accept({})).status).toBe(400);
    const [still] = await queryRows<{ accepted_at: Date | null }>(db.database.db, sql`SELECT accepted_at FROM invitations WHERE email = ${invitee}`);
    expect(still!.accepted_at).toBeNull();
  });

  it('keeps a keep-alive connection usable after a body no action read', async () => {
    // SvelteKit pauses a request until the page reads its body. A big body that an action never
    // reads (one that redirects first, a 415, sign-out) left the connection paused, and the
    // browser's next request on it was never answered. One connection, a post, then a page.
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const once = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${base}${path}`, { method, agent, headers: body ? { ...headers, 'content-length': String(body.length) } : headers, timeout: 5_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
        req.on('error', reject);
        req.end(body);
      });
    const big = Buffer.from(`zzz=${'z'.repeat(300_000)}`);
    try {
      for (const route of routes) {
        for (const action of route.actions) {
          for (const contentType of [urlencodedType, 'application/json']) {
            const path = `${pathOf(route)}${action.name === 'default' ? '' : `?/${action.name}`}`;
            expect(await once('POST', path, { origin: base, accept: 'text/html', 'content-type': contentType }, big)).toBeLessThan(500);
            expect(await once('GET', '/healthz', {}), `the request after POST ${path} (${contentType})`).toBe(200);
          }
        }
      }
    } finally {
      agent.destroy();
    }
  }, 60_000);
});
