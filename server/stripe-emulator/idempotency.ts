import { idempotencyMismatch, invalidRequest } from './errors';

interface Saved {
  fingerprint: string;
  status: number;
  body: string;
  at: number;
}

const LIMITS = { entries: 20_000, ttlMs: 24 * 3600_000, keyLength: 255 };

// Stripe keeps a response per Idempotency-Key for 24 h: the same request gets the same answer,
// a different request with the same key is an idempotency_error.
export class IdempotencyStore {
  private saved = new Map<string, Saved>();

  /** Returns the saved response to replay, or undefined when the request should run. */
  lookup(scope: string, key: string, fingerprint: string): Saved | undefined {
    if (key.length > LIMITS.keyLength) {
      throw invalidRequest(`Idempotency-Key must be at most ${LIMITS.keyLength} characters.`, 'Idempotency-Key');
    }
    const hit = this.saved.get(`${scope}\n${key}`);
    if (!hit || Date.now() - hit.at > LIMITS.ttlMs) return undefined;
    if (hit.fingerprint !== fingerprint) throw idempotencyMismatch(key);
    return hit;
  }

  save(scope: string, key: string, fingerprint: string, status: number, body: string): void {
    this.saved.set(`${scope}\n${key}`, { fingerprint, status, body, at: Date.now() });
    if (this.saved.size > LIMITS.entries) {
      const oldest = this.saved.keys().next().value;
      if (oldest !== undefined) this.saved.delete(oldest);
    }
  }

  clear(): void {
    this.saved.clear();
  }
}
