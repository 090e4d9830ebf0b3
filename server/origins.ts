import { publicUrlOf, trustedOriginsOf, type Config } from './config';

/**
 * Where a link made for a browser's request opens, `origin` being the Origin it sent: at the page
 * that asked, when that page is one of ours, else at PUBLIC_URL. A session cookie belongs to one
 * host name, and the embedded demo (no PUBLIC_URL) answers at both localhost and 127.0.0.1: a link
 * made at the other name lands a person where they are not signed in. With PUBLIC_URL set its
 * origin is the one trusted origin, and the answer is always PUBLIC_URL itself: no header moves a
 * production link.
 */
export function linkOriginOf(config: Config, origin: string | null | undefined): string {
  const publicUrl = publicUrlOf(config);
  if (!origin || !trustedOriginsOf(config).includes(origin) || origin === new URL(publicUrl).origin) return publicUrl;
  return origin;
}
