import { invalidRequest } from './errors';
import type { ListObject } from './list';
import { sessionLineItems } from './objects/session';
import { findById, type State } from './store';

type Json = Record<string, unknown>;

// `expand[]=a.b.c` swaps ids for the objects they name, never on stored state: every object on an
// expanded path is copied before it changes, and the rest is shared with the store, as an answer
// without expand already is (answers are serialized at once; nothing mutates them). A deep clone
// of every listed charge and its balance transaction cost the poster's bench a fifth of its time.
export function expand<T extends object>(state: State, obj: T, paths: string[]): T {
  if (paths.length === 0) return obj;
  const copy = { ...obj } as unknown as Json;
  for (const path of paths) {
    const parts = path.split('.');
    if (parts.length > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property: ${path}`, 'expand');
    expandPath(state, copy, parts, path);
  }
  return copy as unknown as T;
}

export function expandList<T extends object>(state: State, list: ListObject<T>, paths: string[]): ListObject<T> {
  const itemPaths = paths.map((p) => {
    if (!p.startsWith('data.')) throw invalidRequest(`This property cannot be expanded (${p}).`, 'expand');
    return p.slice(5);
  });
  return { ...list, data: list.data.map((item) => expand(state, item, itemPaths)) };
}

function expandPath(state: State, obj: Json, parts: string[], path: string): void {
  const [field, ...rest] = parts;
  if (field === undefined) return;
  // Includable lists that are not fields of the stored object.
  if (field === 'payments' && obj.object === 'invoice') {
    obj.payments = invoicePayments(state, String(obj.id));
    return;
  }
  if (field === 'line_items' && obj.object === 'checkout.session') {
    const data = sessionLineItems(String(obj.id), state.sessionSpecs.get(String(obj.id))?.lines ?? []);
    obj.line_items = { object: 'list', data, has_more: false, url: `/v1/checkout/sessions/${String(obj.id)}/line_items` };
    return;
  }
  if (!(field in obj)) throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
  let value = obj[field];
  if (typeof value === 'string') {
    const found = findById(state, value);
    if (!found) throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
    value = found;
    obj[field] = value;
  }
  if (rest.length === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const inner = { ...(value as Json) };
  obj[field] = inner;
  expandPath(state, inner, rest, path);
}

function invoicePayments(state: State, invoiceId: string): ListObject<object> {
  const data = [...state.invoicePayments.values()].filter((p) => p.invoice === invoiceId);
  return { object: 'list', data, has_more: false, url: `/v1/invoice_payments?invoice=${invoiceId}` };
}
