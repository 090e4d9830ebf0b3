import { AsyncLocalStorage } from 'node:async_hooks';
import type { Handle, HandleFetch } from '@sveltejs/kit';
import { chooseLocale, localeCookie, textDirection, type Locale } from '$lib/locale';
import { overwriteGetLocale } from '$lib/paraglide/runtime';

// In development the API runs in its own process; in production it is in this process.
const devApiOrigin = `http://127.0.0.1:${process.env.API_PORT ?? '3001'}`;

// Each request renders in its own language: the message functions read it from this store, so
// two requests rendering at once never see each other's language.
const requestLocale = new AsyncLocalStorage<Locale>();
overwriteGetLocale(() => requestLocale.getStore() ?? 'en');

export const handle: Handle = async ({ event, resolve }) => {
  const locale = chooseLocale(event.cookies.get(localeCookie), event.request.headers.get('accept-language'));
  event.locals.locale = locale;
  return requestLocale.run(locale, () =>
    resolve(event, {
      transformPageChunk: ({ html }) => html.replace('%lang%', locale).replace('%dir%', textDirection(locale)),
    }),
  );
};

/** Calls to /api go to the same API the outside world uses: in process when we can, else HTTP. */
export const handleFetch: HandleFetch = async ({ request, fetch }) => {
  const url = new URL(request.url);
  if (!url.pathname.startsWith('/api/')) return fetch(request);
  const bridge = globalThis.__solidarityApi;
  if (bridge) return bridge.fetch(request);
  return fetch(new Request(devApiOrigin + url.pathname + url.search, request));
};

declare global {
  var __solidarityApi: { fetch(request: Request): Promise<Response> } | undefined;
}
