import { error, redirect } from '@sveltejs/kit';
import { isUuidText } from '../../../../server/uuid-text';

type Fetch = typeof fetch;
export interface ApiError {
  code: string;
  message: string;
  details?: { path?: string; message?: string }[];
}

/** The one thin client every page uses to reach our API (in process in production). */
export async function apiGet<T>(fetch: Fetch, path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    error(res.status, { message: body?.error?.message ?? apiUnanswered.error.message, code: body?.error?.code });
  }
  return (await res.json()) as T;
}

/**
 * A page for signed-in people: its data, or the sign-in page (coming back here after) when the
 * session is missing or ended. Other errors show the error page.
 */
export async function apiGetSignedIn<T>(fetch: Fetch, path: string, here: URL): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (res.status === 401) redirect(303, signInPath(here));
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    error(res.status, { message: body?.error?.message ?? apiUnanswered.error.message, code: body?.error?.code });
  }
  return (await res.json()) as T;
}

/** The longest return address sign-in goes back to. */
const returnPathCharsMax = 500;

/** Where to sign in, coming back to `back` afterwards. */
export function signInPath(back: URL): string {
  // A return address longer than sign-in takes back (safeReturnPath) would only make the redirect
  // long (an 8 kB query made a 16 kB Location, which some clients refuse): without its query, then.
  const full = back.pathname + back.search;
  const next = full.length <= returnPathCharsMax ? full : back.pathname.length <= returnPathCharsMax ? back.pathname : null;
  return next === null ? '/signin' : `/signin?next=${encodeURIComponent(next)}`;
}

export type Sent<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ApiError };

/**
 * What the pages take for an API that did not answer at all (its process restarting while the pages
 * run apart from it): a gateway's 502, read and refused as any failure of the API is.
 */
export const apiUnanswered: { status: number; error: ApiError } = { status: 502, error: { code: 'api_unanswered', message: 'The service did not answer.' } };

/** A state-changing call (JSON body, or raw bytes with their type): the answer or the API's error, never a throw. */
export async function apiSend<T = unknown>(
  fetch: Fetch,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  contentType = 'application/json',
  /** More request headers (a precondition such as If-None-Match). */
  headers: Record<string, string> = {},
): Promise<Sent<T>> {
  const raw = body instanceof Uint8Array || body instanceof ArrayBuffer;
  const init: RequestInit = {
    method,
    headers: body === undefined ? { accept: 'application/json', ...headers } : { accept: 'application/json', 'content-type': contentType, ...headers },
    body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body),
  };
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    // A fetch that throws got no answer: the form says to try again, as for an API that failed.
    return { ok: false, ...apiUnanswered };
  }
  const parsed = (await res.json().catch(() => null)) as (T & { error?: ApiError }) | null;
  if (!res.ok) return { ok: false, status: res.status, error: parsed?.error ?? { code: res.status === 429 ? 'rate_limited' : 'unknown', message: res.statusText } };
  return { ok: true, status: res.status, body: parsed as T };
}

/**
 * An API refusal as a form action's status, the one rule of every action: what the API refused (any
 * 4xx: bad input, not found, a conflict, too many tries) keeps its status, so an enhanced form reads
 * it as the form's failure and says why; only the API failing (a 5xx, an answer that is no HTTP
 * error) is ours to answer as 502.
 */
export const refusedStatus = (status: number) => (status >= 400 && status < 500 ? status : 502);

/**
 * Only a path on this site: never "//host" or "/\host", which browsers treat as another origin;
 * and no control character (a mangled link's %00), which the sign-in service refuses as a return
 * address, so that such a link would never sign anyone in: the fallback instead.
 */
export function safeReturnPath(value: unknown, fallback = '/'): string {
  const path = typeof value === 'string' ? value : '';
  return path.length <= returnPathCharsMax && /^\/(?![/\\])[^\s\p{Cc}]*$/u.test(path) ? path : fallback;
}

/**
 * One page of a list the API pages by keyset (`path` already holds its query): the page after
 * `cursor` when the API takes it, else `first()`, the newest page, also for a cursor the API does
 * not know for this list (a mangled link shows the list from its top, not an error page).
 * `cursor` in the answer is the one the page shown was read after.
 */
export async function pageAfter<T>(fetch: Fetch, path: string, cursor: string | null, first: () => Promise<T>): Promise<T & { cursor: string | null }> {
  if (isUuidText(cursor)) {
    const res = await fetch(`${path}&cursor=${cursor}`, { headers: { accept: 'application/json' } });
    if (res.ok) return { ...((await res.json()) as T), cursor };
  }
  return { ...(await first()), cursor: null };
}
