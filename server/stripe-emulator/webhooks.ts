import type { Logger } from 'pino';
import type Stripe from 'stripe';
import { signatureHeader } from './signature';

export interface WebhookEndpoint {
  url: string;
  secret: string;
  /** First retry after this many ms, doubling each time (Stripe waits hours; tests can't). */
  baseDelayMs?: number;
  /** Attempts per delivery, first one included. */
  maxAttempts?: number;
  timeoutMs?: number;
  /** The event types delivered (`*`: every one, the default), as the endpoint enabled them. */
  enabledEvents?: string[];
}

export interface DeliverySettings {
  /** Deliver every event this many times, as Stripe may. */
  times: number;
  /** Shuffle the order within each batch, as Stripe doesn't promise order. */
  shuffle: boolean;
  /** Hold each event this long before its first attempt. */
  delayMs: number;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  copy: number;
  attempt: number;
  /** HTTP status, or null when the endpoint was unreachable or timed out. */
  status: number | null;
  ok: boolean;
  gaveUp: boolean;
  error?: string;
  at: number;
}

interface Job {
  eventId: string;
  type: string;
  body: string;
  copy: number;
  attempt: number;
  dueAt: number;
}

const LIMITS = { queue: 20_000, log: 10_000, maxDelayMs: 60_000, maxAttempts: 20, maxTimes: 10 };

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// Delivers events asynchronously with bounded retries and exponential back-off, like Stripe.
export class WebhookDispatcher {
  readonly deliveries: DeliveryRecord[] = [];
  private endpoint: Required<WebhookEndpoint> | null = null;
  private settings: DeliverySettings = { times: 1, shuffle: false, delayMs: 0 };
  private queue: Job[] = [];
  private running = false;
  private paused = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  /** event id → its copies not yet delivered nor given up on (queued or being attempted). */
  private outstanding = new Map<string, number>();
  /** Told when every copy of an event is delivered or given up on; the emulator then forgets it is owed. */
  onSettled: (eventId: string) => void = () => undefined;

  constructor(private readonly log: Logger | undefined) {}

  setEndpoint(endpoint: WebhookEndpoint | null): void {
    if (endpoint && !/^https?:\/\//.test(endpoint.url)) throw new Error('webhook.url must be an http(s) URL');
    if (endpoint && !endpoint.secret) throw new Error('webhook.secret must not be empty');
    this.endpoint = endpoint && {
      url: endpoint.url,
      secret: endpoint.secret,
      baseDelayMs: Math.min(Math.max(endpoint.baseDelayMs ?? 50, 1), LIMITS.maxDelayMs),
      maxAttempts: Math.min(Math.max(endpoint.maxAttempts ?? 10, 1), LIMITS.maxAttempts),
      timeoutMs: Math.min(Math.max(endpoint.timeoutMs ?? 10_000, 100), 60_000),
      enabledEvents: endpoint.enabledEvents ?? ['*'],
    };
  }

  get hasEndpoint(): boolean {
    return this.endpoint !== null;
  }

  setDelivery(partial: Partial<DeliverySettings>): DeliverySettings {
    const times = partial.times ?? this.settings.times;
    const delayMs = partial.delayMs ?? this.settings.delayMs;
    if (!Number.isInteger(times) || times < 1 || times > LIMITS.maxTimes) throw new Error(`times must be 1–${LIMITS.maxTimes}`);
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > LIMITS.maxDelayMs) throw new Error('delayMs must be 0–60000');
    this.settings = { times, shuffle: partial.shuffle ?? this.settings.shuffle, delayMs };
    return { ...this.settings };
  }

  /** Queues the event's deliveries; false when it is not for the endpoint (none, not enabled, or closed). */
  enqueue(event: Stripe.Event, times = this.settings.times): boolean {
    if (!this.endpoint || this.closed) return false;
    const enabled = this.endpoint.enabledEvents;
    if (!enabled.includes('*') && !enabled.includes(event.type)) return false;
    const body = JSON.stringify(event, null, 2);
    let queued = 0;
    for (let copy = 1; copy <= times; copy++) {
      if (this.queue.length >= LIMITS.queue) {
        this.log?.warn({ eventId: event.id }, 'stripe emulator: webhook queue full, event not delivered');
        break;
      }
      this.queue.push({ eventId: event.id, type: event.type, body, copy, attempt: 1, dueAt: Date.now() + this.settings.delayMs });
      queued++;
    }
    if (queued > 0) this.outstanding.set(event.id, (this.outstanding.get(event.id) ?? 0) + queued);
    this.schedule(0);
    return queued > 0;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule(0);
  }

  /** Resolves once every queued delivery has succeeded or given up. */
  flush(): Promise<void> {
    if (this.paused && this.queue.length > 0) {
      return Promise.reject(new Error('webhook delivery is paused: call resume() before flush()'));
    }
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops queued deliveries and the log; keeps the endpoint. */
  reset(): void {
    this.queue = [];
    this.outstanding.clear();
    this.deliveries.length = 0;
    this.settings = { times: 1, shuffle: false, delayMs: 0 };
    this.paused = false;
    this.notifyIfIdle();
  }

  // What was still owed stays owed: the emulator keeps it with its state and delivers it on the next start.
  close(): void {
    this.closed = true;
    this.queue = [];
    this.outstanding.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.notifyIfIdle(true);
  }

  private idle(): boolean {
    return this.queue.length === 0 && !this.running;
  }

  private notifyIfIdle(force = false): void {
    if (!force && !this.idle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.paused || this.running || this.queue.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const next = Math.min(...this.queue.map((j) => j.dueAt));
    const wait = Math.max(delayMs, next - Date.now(), 0);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.paused && !this.closed) {
        const now = Date.now();
        const due = this.queue.filter((j) => j.dueAt <= now);
        if (due.length === 0) break;
        this.queue = this.queue.filter((j) => j.dueAt > now);
        await this.deliverBatch(this.settings.shuffle ? shuffled(due) : due);
      }
    } finally {
      this.running = false;
      this.schedule(0);
      this.notifyIfIdle();
    }
  }

  private async deliverBatch(batch: Job[]): Promise<void> {
    for (let i = 0; i < batch.length; i++) {
      if (this.paused || this.closed) {
        if (!this.closed) this.queue.push(...batch.slice(i));
        return;
      }
      await this.attempt(batch[i] as Job);
    }
  }

  private async attempt(job: Job): Promise<void> {
    const endpoint = this.endpoint;
    if (!endpoint) return;
    const { status, error } = await post(endpoint, job.body);
    const ok = status !== null && status >= 200 && status < 300;
    const gaveUp = !ok && job.attempt >= endpoint.maxAttempts;
    this.record({ eventId: job.eventId, type: job.type, copy: job.copy, attempt: job.attempt, status, ok, gaveUp, error, at: Date.now() });
    if (ok || gaveUp) return this.settle(job.eventId);
    const backoff = Math.min(endpoint.baseDelayMs * 2 ** (job.attempt - 1), LIMITS.maxDelayMs);
    this.queue.push({ ...job, attempt: job.attempt + 1, dueAt: Date.now() + backoff });
  }

  private settle(eventId: string): void {
    if (this.closed) return;
    const left = (this.outstanding.get(eventId) ?? 1) - 1;
    if (left > 0) return void this.outstanding.set(eventId, left);
    this.outstanding.delete(eventId);
    this.onSettled(eventId);
  }

  private record(r: DeliveryRecord): void {
    this.deliveries.push(r);
    if (this.deliveries.length > LIMITS.log) this.deliveries.splice(0, this.deliveries.length - LIMITS.log);
    const level = r.ok ? 'debug' : 'warn';
    this.log?.[level](
      { eventId: r.eventId, type: r.type, attempt: r.attempt, status: r.status, gaveUp: r.gaveUp },
      'stripe emulator: webhook delivery',
    );
  }
}

async function post(endpoint: Required<WebhookEndpoint>, body: string): Promise<{ status: number | null; error?: string }> {
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signatureHeader(body, endpoint.secret),
      },
      body,
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    return { status: null, error: err instanceof Error ? err.message : String(err) };
  }
}
