import { invalidRequest } from './errors';
import type { FormObject } from './form';
import { optInt, optObject, optString } from './params';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** Newest first, like every Stripe list. Insertion order stands in for creation order. */
export function newestFirst<T>(map: Map<string, T>): T[] {
  return [...map.values()].reverse();
}

// Stripe's cursor pagination: limit 1–100 (default 10), starting_after / ending_before an id.
export function paginate<T extends { id?: string }>(items: T[], p: FormObject, url: string): ListObject<T> {
  const limit = optInt(p, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  const after = optString(p, 'starting_after');
  const before = optString(p, 'ending_before');
  if (after && before) throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  if (before) {
    const end = indexOf(items, before, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = after ? indexOf(items, after, 'starting_after') + 1 : 0;
  return { object: 'list', data: items.slice(start, start + limit), has_more: start + limit < items.length, url };
}

function indexOf<T extends { id?: string }>(items: T[], id: string, param: string): number {
  const i = items.findIndex((x) => x.id === id);
  if (i < 0) throw invalidRequest(`No such object to paginate from: '${id}'`, param, 'resource_missing');
  return i;
}

/** `created` as a number or as `created[gte|gt|lte|lt]`. */
export function createdFilter(p: FormObject): (created: number) => boolean {
  if (typeof p.created === 'string') {
    const exact = optInt(p, 'created');
    return (c) => c === exact;
  }
  const range = optObject(p, 'created');
  if (!range) return () => true;
  const gte = optInt(range, 'gte', 'created[gte]');
  const gt = optInt(range, 'gt', 'created[gt]');
  const lte = optInt(range, 'lte', 'created[lte]');
  const lt = optInt(range, 'lt', 'created[lt]');
  return (c) =>
    (gte === undefined || c >= gte) &&
    (gt === undefined || c > gt) &&
    (lte === undefined || c <= lte) &&
    (lt === undefined || c < lt);
}
