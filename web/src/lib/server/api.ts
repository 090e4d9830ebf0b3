import { error } from '@sveltejs/kit';

type Fetch = typeof fetch;

/** The one thin client every page uses to reach our API (in process in production). */
export async function apiGet<T>(fetch: Fetch, path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    error(res.status, { message: body?.error?.message ?? 'The service did not answer.', code: body?.error?.code });
  }
  return (await res.json()) as T;
}
