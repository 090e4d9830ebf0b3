import type { Handle, HandleFetch } from '@sveltejs/kit';
import { pickLocale, textDirection } from '$lib/locale';

// In development the API runs in its own process; in production it is in this process.
const devApiOrigin = `http://127.0.0.1:${process.env.API_PORT ?? '3001'}`;

export const handle: Handle = async ({ event, resolve }) => {
  event.locals.locale = pickLocale(event.request.headers.get('accept-language'));
  return resolve(event, {
    transformPageChunk: ({ html }) =>
      html.replace('%lang%', event.locals.locale).replace('%dir%', textDirection(event.locals.locale)),
  });
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
