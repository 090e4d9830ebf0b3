import type { Db } from '../../db/client';
import { AppError } from '../errors';
import { appealDetailSchema, type AppealDetail } from './schemas';
import { appealNotFound, getPublicAppeal } from './service';

/** One public appeal, serialized once and served to every reader until it changes. */
export interface CachedAppeal {
  appealId: string;
  slug: string;
  status: AppealDetail['status'];
  /** The body of GET /api/appeals/:slug. */
  body: string;
  /** The same appeal's progress as one server-sent event, shared by every stream of it. */
  progressEvent: string;
  expiresAtMs: number;
}

type Slot = CachedAppeal | { missing: true; expiresAtMs: number };

export const appealCacheDefaults = {
  /** Organizers' edits show within this; gifts show at once (the progress notifications drop the entry). */
  ttlMs: 1_000,
  entriesMax: 1_000,
};

/** Builds the cached form of an appeal: validated against the response schema once, not per request. */
export function cacheEntry(detail: AppealDetail, ttlMs: number, nowMs = Date.now()): CachedAppeal {
  const checked = appealDetailSchema.parse(detail);
  return {
    appealId: checked.id,
    slug: checked.slug,
    status: checked.status,
    body: JSON.stringify(checked),
    progressEvent: `event: progress\ndata: ${JSON.stringify(checked.progress)}\n\n`,
    expiresAtMs: nowMs + ttlMs,
  };
}

/**
 * A short per-instance cache of public appeals by slug, unknown slugs included (for the TTL), so a
 * popular appeal's page costs one database read per TTL per instance. Concurrent misses share one
 * read. A progress notification drops the appeal's entry; `generation` counts notifications so that
 * a read that was under way when one arrived is not stored (it may predate the change).
 */
export class AppealCache {
  private readonly slots = new Map<string, Slot>();
  private readonly slugByAppealId = new Map<string, string>();
  private readonly loading = new Map<string, Promise<CachedAppeal>>();
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly opts = appealCacheDefaults,
  ) {}

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  /** Increases with every notification; a caller compares it around a read of its own. */
  get notifications(): number {
    return this.generation;
  }

  /** The appeal (live or closed) or a 404 AppError, from the cache while fresh. */
  async get(slug: string): Promise<CachedAppeal> {
    const slot = this.slots.get(slug);
    if (slot && slot.expiresAtMs > Date.now()) {
      if ('missing' in slot) throw appealNotFound(slug);
      return slot;
    }
    let pending = this.loading.get(slug);
    if (!pending) {
      pending = this.load(slug).finally(() => this.loading.delete(slug));
      this.loading.set(slug, pending);
    }
    return pending;
  }

  /** A fresher read of the appeal (the live hub's), stored unless a newer notification came first. */
  put(entry: CachedAppeal, generationAtRead: number): void {
    if (generationAtRead === this.generation) this.store(entry.slug, entry, entry.appealId);
  }

  /** A progress notification for the appeal: drop its entry. */
  changed(appealId: string): void {
    this.generation++;
    const slug = this.slugByAppealId.get(appealId);
    if (slug !== undefined) this.drop(slug);
  }

  /** An edit answered by this instance: drop the appeal (or its "no such appeal") now, not at the TTL. */
  forget(slug: string): void {
    this.generation++;
    this.drop(slug);
  }

  /** After a lost LISTEN connection anything may have changed. */
  clear(): void {
    this.generation++;
    this.slots.clear();
    this.slugByAppealId.clear();
  }

  private async load(slug: string): Promise<CachedAppeal> {
    const generation = this.generation;
    try {
      const entry = cacheEntry(await getPublicAppeal(this.db, slug), this.opts.ttlMs);
      if (generation === this.generation) this.store(slug, entry, entry.appealId);
      return entry;
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 404 && generation === this.generation) {
        this.store(slug, { missing: true, expiresAtMs: Date.now() + this.opts.ttlMs });
      }
      throw err;
    }
  }

  private store(slug: string, slot: Slot, appealId?: string): void {
    this.drop(slug);
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (this.slots.size >= this.opts.entriesMax) this.drop(this.slots.keys().next().value!);
    this.slots.set(slug, slot);
    if (appealId !== undefined) this.slugByAppealId.set(appealId, slug);
  }

  private drop(slug: string): void {
    const old = this.slots.get(slug);
    if (old && !('missing' in old)) this.slugByAppealId.delete(old.appealId);
    this.slots.delete(slug);
  }
}
