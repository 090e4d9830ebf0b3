import { invalidRequest } from './errors';

// Stripe request bodies (and GET query strings) are form-encoded with bracket keys, e.g.
// `metadata[appeal]=x`, `line_items[0][price_data][unit_amount]=500`, `expand[]=payment_intent`.
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

const LIMITS = { pairs: 2000, depth: 8, arrayIndex: 999 };
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export function parseForm(raw: string): FormObject {
  const root: FormObject = {};
  if (!raw) return root;
  const pairs = raw.split('&').filter((p) => p.length > 0);
  if (pairs.length > LIMITS.pairs) throw invalidRequest(`Too many parameters (limit ${LIMITS.pairs}).`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    assign(root, splitKey(key), value, key);
  }
  return root;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest('Request body is not valid form encoding.');
  }
}

function splitKey(key: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m || m[1] === undefined) throw invalidRequest(`Invalid parameter name: ${key}`, key);
  const parts = [m[1]];
  for (const seg of (m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)) parts.push(seg[1] ?? '');
  if (parts.length > LIMITS.depth) throw invalidRequest(`Parameter nested too deeply: ${key}`, key);
  if (parts.some((p) => FORBIDDEN.has(p))) throw invalidRequest(`Invalid parameter name: ${key}`, key);
  return parts;
}

function assign(container: FormObject | FormValue[], parts: string[], value: string, key: string): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (rest.length === 0) {
    setChild(container, head, value, key);
    return;
  }
  const wantArray = rest[0] === '' || /^\d+$/.test(rest[0] ?? '');
  let child = getChild(container, head);
  if (child === undefined) {
    child = wantArray ? [] : {};
    setChild(container, head, child, key);
  }
  if (typeof child === 'string' || Array.isArray(child) !== wantArray) {
    throw invalidRequest(`Invalid array or hash for parameter: ${key}`, key);
  }
  assign(child, rest, value, key);
}

function getChild(container: FormObject | FormValue[], head: string): FormValue | undefined {
  if (Array.isArray(container)) return head === '' ? undefined : container[Number(head)];
  return Object.hasOwn(container, head) ? container[head] : undefined;
}

function setChild(container: FormObject | FormValue[], head: string, value: FormValue, key: string): void {
  if (!Array.isArray(container)) {
    container[head] = value;
    return;
  }
  if (head === '') {
    container.push(value);
    return;
  }
  const index = Number(head);
  if (index > LIMITS.arrayIndex || index > container.length) {
    throw invalidRequest(`Invalid array index for parameter: ${key}`, key);
  }
  container[index] = value;
}
