import { invalidRequest } from './errors';
import type { FormObject } from './form';
import type { OrderedMap } from './ordered-map';
import { optInt, optObject, optString } from './params';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** A list's objects, newest first, with where an id stands among them (-1 when it is not). */
export interface NewestFirst<T> {
  length: number;
  at(i: number): T;
  placeOf(id: string): number;
}

/** Newest first, like every Stripe list. Insertion order stands in for creation order. */
export function newestFirst<T>(map: OrderedMap<string, T>): NewestFirst<T> {
  const { values, places } = map.inOrder();
  const last = values.length - 1;
  return {
    length: values.length,
    at: (i) => values[last - i]!,
    placeOf: (id) => {
      const at = places.get(id);
      return at === undefined ? -1 : last - at;
    },
  };
}

/** Objects already in list order, found by id by looking through them. */
export function inListOrder<T extends { id?: string }>(items: T[]): NewestFirst<T> {
  return { length: items.length, at: (i) => items[i]!, placeOf: (id) => items.findIndex((x) => x.id === id) };
}

/**
 * Stripe's cursor pagination over the items `keep` accepts: limit 1–100 (default 10),
 * starting_after / ending_before an id. It reads from the cursor only until the page (and one
 * more item, for has_more) is found: the poster pages through a thousand charges per batch, and
 * filtering the whole list for each page made every page cost as much as the store is large.
 */
export function paginate<T>(items: NewestFirst<T>, p: FormObject, url: string, keep: (item: T) => boolean = () => true): ListObject<T> {
  const limit = optInt(p, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  const after = optString(p, 'starting_after');
  const before = optString(p, 'ending_before');
  if (after && before) throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  if (before) {
    // The page just before the cursor, still newest first.
    const { data, more } = take(items, indexOf(items, before, 'ending_before') - 1, -1, limit, keep);
    return { object: 'list', data: data.reverse(), has_more: more, url };
  }
  const { data, more } = take(items, after ? indexOf(items, after, 'starting_after') + 1 : 0, 1, limit, keep);
  return { object: 'list', data, has_more: more, url };
}

/** Up to `limit` kept items from `from` on, in direction `step`, and whether another one follows. */
function take<T>(items: NewestFirst<T>, from: number, step: 1 | -1, limit: number, keep: (item: T) => boolean): { data: T[]; more: boolean } {
  const data: T[] = [];
  for (let i = from; i >= 0 && i < items.length; i += step) {
    const item = items.at(i);
    if (!keep(item)) continue;
    if (data.length === limit) return { data, more: true };
    data.push(item);
  }
  return { data, more: false };
}

function indexOf<T>(items: NewestFirst<T>, id: string, param: string): number {
  const i = items.placeOf(id);
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

/** Whether an object passes the list's `created` filter and each of `fields` the request names. */
export function matching<T extends { created: number }>(p: FormObject, fields: Record<string, (x: T) => unknown>): (x: T) => boolean {
  const created = createdFilter(p);
  const wanted = Object.entries(fields).flatMap(([key, get]) => {
    const want = optString(p, key);
    return want === undefined ? [] : [{ get, want }];
  });
  return (x) => created(x.created) && wanted.every(({ get, want }) => get(x) === want);
}
