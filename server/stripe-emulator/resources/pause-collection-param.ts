import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import type { FormObject } from '../form';
import { optInt, rejectUnknown, reqString } from '../params';

const BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'];

/**
 * `pause_collection` of a subscription update, as Stripe takes it: an object (`behavior`, and
 * `resumes_at` when the pause has an end) pauses, an empty string resumes. Undefined when the
 * update leaves it alone. The emulator voids what it invoices while paused, so it takes `void`
 * only: the other behaviours leave invoices for someone to collect, which nothing here does.
 * `now` is the customer's time (its test clock's), which `resumes_at` must be after.
 */
export function parsePauseCollection(p: FormObject, now: number): Stripe.Subscription.PauseCollection | null | undefined {
  const raw = p.pause_collection;
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('Invalid object: pause_collection', 'pause_collection');
  rejectUnknown(raw, ['behavior', 'resumes_at']);
  const behavior = reqString(raw, 'behavior', 'pause_collection[behavior]');
  if (!BEHAVIORS.includes(behavior)) throw invalidRequest(`Invalid pause_collection[behavior]: must be one of ${BEHAVIORS.join(', ')}`, 'pause_collection[behavior]');
  if (behavior !== 'void') throw invalidRequest('The emulator pauses collection only with behavior=void.', 'pause_collection[behavior]');
  const resumesAt = optInt(raw, 'resumes_at', 'pause_collection[resumes_at]');
  if (resumesAt !== undefined && resumesAt <= now) throw invalidRequest('pause_collection[resumes_at] must be in the future.', 'pause_collection[resumes_at]');
  return { behavior: 'void', resumes_at: resumesAt ?? null };
}
