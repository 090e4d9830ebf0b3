import type { AppealProgress } from './types';

/** A `progress` event's data, checked field by field: anything else is ignored, never shown. */
export function readProgressEvent(data: string): AppealProgress | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const p = v as Record<string, unknown>;
  const minor = (x: unknown) => typeof x === 'string' && /^-?\d{1,19}$/.test(x);
  const int = (x: unknown) => Number.isInteger(x);
  if (!minor(p.raisedGrossMinor) || !minor(p.raisedNetMinor) || !int(p.donorCount) || !int(p.giftCount) || !int(p.shareOfGoalBasisPoints)) return null;
  if (p.unitsFilled !== null && !int(p.unitsFilled)) return null;
  if (p.lastGiftAt !== null && typeof p.lastGiftAt !== 'string') return null;
  return p as unknown as AppealProgress;
}

/**
 * Follows an appeal's progress over server-sent events (`GET /api/appeals/:slug/events`, events
 * named `progress`, and `closed` when the appeal closes). Where the endpoint is missing or fails for good, the page keeps what the
 * server rendered, silently: EventSource closes itself on a 404 and retries on a dropped line.
 */
export function followProgress(slug: string, onProgress: (p: AppealProgress) => void, onClosed: () => void = () => {}): () => void {
  if (typeof EventSource === 'undefined') return () => {};
  const source = new EventSource(`/api/appeals/${encodeURIComponent(slug)}/events`);
  source.addEventListener('progress', (event) => {
    const progress = readProgressEvent((event as MessageEvent<string>).data);
    if (progress) onProgress(progress);
  });
  // The appeal closed while the page was open: the stream's last word; nothing to reconnect to.
  source.addEventListener('closed', () => {
    source.close();
    onClosed();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) source.close();
  };
  return () => source.close();
}
