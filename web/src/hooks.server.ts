import { AsyncLocalStorage } from 'node:async_hooks';
import { error, type Handle, type HandleFetch, type RequestEvent } from '@sveltejs/kit';
import { chooseLocale, isLocale, localeCookie, localeCookieMaxAgeSeconds, textDirection, type Locale } from '$lib/locale';
import { readFormatLocaleFrom, regionalLocale, type ReaderFormat } from '$lib/format-locale';
import { readTimeZoneFrom, saidTimeZone, type ReaderZone } from '$lib/time-zone';
import { overwriteGetLocale } from '$lib/paraglide/runtime';
import { apiUnanswered } from '$lib/server/api';
import { applySetCookies, sessionCookieHeader } from '$lib/server/cookies';
import { readWhoIsAsking, type WhoIsAsking } from '$lib/server/who-is-asking';

// In development the API runs in its own process; in production it is in this process.
const devApiOrigin = `http://127.0.0.1:${process.env.API_PORT ?? '3001'}`;
// Stamped on each page request by server/web.ts (the browser's address, as Fastify saw it).
const clientIpHeader = 'x-solidarity-client-ip';

// Each request renders in its own language and its reader's time zone: the message and date
// functions read them from this store, so two requests rendering at once never see each other's.
const reader = new AsyncLocalStorage<{ locale: Locale; zone: ReaderZone }>();
overwriteGetLocale(() => reader.getStore()?.locale ?? 'en');
readTimeZoneFrom(() => reader.getStore()?.zone ?? { timeZone: 'UTC', said: false });
// The reader's formats, in a store of their own: the API's work inside a page's request (a mail it
// writes) leaves it (callApi), so what the API writes does not depend on which page asked.
const readerFormat = new AsyncLocalStorage<ReaderFormat>();
readFormatLocaleFrom(() => readerFormat.getStore());

export const handle: Handle = async ({ event, resolve }) => {
  // SvelteKit keeps the action name "default" for itself and throws on `?/default` (a 500), where
  // any other name no page has is its 404: the same 404 here, before it runs.
  if (event.request.method === 'POST' && postedActionName(event.url) === 'default') error(404, 'Not Found');
  event.locals.user = null;
  event.locals.memberships = [];
  event.locals.sessionUnknown = null;
  if (sessionCookieHeader(event.request.headers.get('cookie'))) {
    const asking = await whoIsAsking(event);
    if ('me' in asking) [event.locals.user, event.locals.memberships] = [asking.me.user, asking.me.memberships];
    if ('unknown' in asking) event.locals.sessionUnknown = asking.unknown;
  }
  // A link's own language first (a mail's link opens in the mail's language), then this browser's
  // choice, then the language the person keeps (on a new device), then the browser's.
  const linked = event.url.searchParams.get(localeCookie);
  const chosen = event.cookies.get(localeCookie);
  const preferred = isLocale(linked) ? linked : isLocale(chosen) ? chosen : (event.locals.user?.locale ?? undefined);
  const locale = chooseLocale(preferred, event.request.headers.get('accept-language'));
  event.locals.locale = locale;
  event.locals.formatLocale = regionalLocale(locale, event.request.headers.get('accept-language'));
  // A browser that has chosen nothing keeps the link's language for the pages after it: a donor who
  // opened an update mail's Arabic link gives, is thanked and gets the receipt in Arabic, where the
  // next page (the form's POST, which has no ?lang=) would fall back to the browser's language.
  // A choice made in the switcher is left as it is, and so is a signed-in person's own language,
  // which their account carries from page to page.
  if (isLocale(linked) && !isLocale(chosen) && !event.locals.user) {
    event.cookies.set(localeCookie, linked, { path: '/', maxAge: localeCookieMaxAgeSeconds, sameSite: 'lax', httpOnly: false });
  }
  const zone = saidTimeZone(event.cookies);
  event.locals.timeZone = zone ?? 'UTC';
  event.locals.timeZoneSaid = zone !== null;
  const response = await reader.run({ locale, zone: { timeZone: event.locals.timeZone, said: event.locals.timeZoneSaid } }, () =>
    readerFormat.run({ language: locale, locale: event.locals.formatLocale }, () =>
      resolve(event, {
        transformPageChunk: ({ html }) => html.replace('%lang%', locale).replace('%dir%', textDirection(locale)),
      }),
    ),
  );
  // A page rendered for a signed-in person names them (the header), and may hold their gifts or an
  // organization's people: no cache keeps it, so a shared computer's Back button after sign-out
  // shows nothing of it. A page that says its own caching keeps it.
  if (event.locals.user && !response.headers.has('cache-control')) response.headers.set('cache-control', 'private, no-store');
  return response;
};

/** The form action a POST names, as SvelteKit reads it: the first query key that starts with '/'. */
function postedActionName(url: URL): string | undefined {
  for (const key of url.searchParams.keys()) if (key.startsWith('/')) return key.slice(1);
  return undefined;
}

async function whoIsAsking(event: RequestEvent): Promise<WhoIsAsking> {
  return readWhoIsAsking(await callApi(event, new Request(new URL('/api/me', event.url), { headers: { accept: 'application/json' } })));
}

/**
 * Calls to /api go to the same API the outside world uses: in process when we can, else HTTP.
 * SvelteKit's own fetch would add the browser's cookies and apply the answer's Set-Cookie, but
 * only on the path we bypass; so both are done here: the session cookie goes with the call (and
 * nothing else of the browser's), Set-Cookie (a sign-out, a refreshed session) comes back to it,
 * and Origin says the call comes from our own pages (the API refuses foreign ones).
 */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
  const url = new URL(request.url);
  if (!url.pathname.startsWith('/api/') || url.origin !== event.url.origin) return fetch(request);
  return callApi(event, request);
};

async function callApi(event: RequestEvent, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.delete('cookie');
  const cookie = sessionCookieHeader(event.request.headers.get('cookie'));
  if (cookie) headers.set('cookie', cookie);
  headers.set('origin', event.url.origin);
  const forwarded = new Request(request, { headers });
  const bridge = globalThis.__solidarityApi;
  let res: Response;
  try {
    res = await readerFormat.exit(() =>
      bridge
        ? bridge.fetch(forwarded, { clientIp: event.request.headers.get(clientIpHeader) ?? undefined })
        : fetch(new Request(devApiOrigin + url.pathname + url.search, forwarded)),
    );
  } catch (failure) {
    // No answer at all (the API's process restarting, when the pages run apart from it): a 502
    // that every read and form takes as a failure of the API, where a throw made the page a 500.
    // The log names no path (an update's stop link carries its token) and nothing of the request.
    console.error(`The API did not answer a ${request.method} call (${failureCode(failure)}): taken as a 502.`);
    return Response.json({ error: apiUnanswered.error }, { status: apiUnanswered.status });
  }
  applySetCookies(event.cookies, res.headers.getSetCookie());
  return res;
}

/** Why a call got no answer, as a code such as ECONNREFUSED: never the error's text, which can name the request. */
function failureCode(failure: unknown): string {
  const code = (failure as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'no code';
}

declare global {
  var __solidarityApi: { fetch(request: Request, opts?: { clientIp?: string }): Promise<Response> } | undefined;
}
