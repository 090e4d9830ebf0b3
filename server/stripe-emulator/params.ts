import { invalidRequest, parameterInvalidInteger, parameterMissing, parameterUnknown } from './errors';
import type { FormObject, FormValue } from './form';

// Typed readers over a parsed form body that fail the way Stripe does, naming the full param path.

export function rejectUnknown(p: FormObject, allowed: readonly string[]): void {
  for (const key of Object.keys(p)) if (!allowed.includes(key)) throw parameterUnknown(key);
}

export function optString(p: FormObject, key: string, path = key, max = 5000): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${path}`, path, 'parameter_invalid_string');
  if (v.length > max) throw invalidRequest(`Invalid string: ${path}; must be at most ${max} characters`, path);
  return v;
}

export function reqString(p: FormObject, key: string, path = key, max?: number): string {
  const v = optString(p, key, path, max);
  if (v === undefined || v === '') throw parameterMissing(path);
  return v;
}

export function optInt(p: FormObject, key: string, path = key): number | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d{1,15}$/.test(v)) throw parameterInvalidInteger(path);
  return Number(v);
}

export function reqInt(p: FormObject, key: string, path = key): number {
  const v = optInt(p, key, path);
  if (v === undefined) throw parameterMissing(path);
  return v;
}

export function optBool(p: FormObject, key: string, path = key): boolean | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${path}`, path, 'parameter_invalid_boolean');
}

export function optObject(p: FormObject, key: string, path = key): FormObject | undefined {
  const v = p[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' || Array.isArray(v)) throw invalidRequest(`Invalid object: ${path}`, path);
  return v;
}

export function optArray(p: FormObject, key: string, path = key): FormValue[] | undefined {
  const v = p[key];
  if (v === undefined || v === '') return undefined;
  if (!Array.isArray(v)) throw invalidRequest(`Invalid array: ${path}`, path);
  return v;
}

export function expandList(p: FormObject): string[] {
  const list = optArray(p, 'expand') ?? [];
  if (list.length > 20) throw invalidRequest('You cannot expand more than 20 properties.', 'expand');
  return list.map((v, i) => {
    if (typeof v !== 'string') throw invalidRequest(`Invalid string: expand[${i}]`, `expand[${i}]`);
    return v;
  });
}

// Stripe's metadata rules: at most 50 keys, keys up to 40 characters, values up to 500;
// an empty value deletes the key on update.
export function metadataParam(
  p: FormObject,
  key = 'metadata',
  path = key,
  base: Record<string, string> = {},
): Record<string, string> {
  const raw = p[key];
  if (raw === undefined) return { ...base };
  if (raw === '') return {};
  if (typeof raw === 'string' || Array.isArray(raw)) throw invalidRequest(`Invalid object: ${path}`, path);
  const out = { ...base };
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${path}[${k}]`, `${path}[${k}]`);
    if (k.length > 40) throw invalidRequest(`Metadata keys can be at most 40 characters: ${k}`, `${path}[${k}]`);
    if (v.length > 500) throw invalidRequest(`Metadata values can be at most 500 characters.`, `${path}[${k}]`);
    if (v === '') delete out[k];
    else out[k] = v;
  }
  if (Object.keys(out).length > 50) throw invalidRequest('Metadata can have at most 50 keys.', path);
  return out;
}
