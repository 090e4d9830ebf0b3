import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Database, Listener } from '../../db/client';
import { safeError } from '../safe-error';
import { AppealCache, cacheEntry, type CachedAppeal } from './cache';
import { getPublicAppealsByIds } from './service';
import { isUuidText } from '../uuid-text';

/** The poster NOTIFYs this channel with an appeal's id in the transaction that moves its progress. */
export const progressChannel = 'appeal_progress';

/** The last event of a stream whose appeal closed: it takes no more gifts, and streams no more. */
export const closedEvent = 'event: closed\ndata: {}\n\n';

export const liveDefaults = {
  /** A comment this often keeps proxies (Fly's idles out at 60 s) from closing a quiet stream. */
  keepAliveMs: 20_000,
  /** Notifications for one appeal this close together cost one read and one event. */
  coalesceMs: 50,
  /** What a browser's EventSource waits before it reconnects (to any instance). */
  retryMs: 3_000,
  /** A client this many bytes behind is cut off rather than buffered for without end. */
  backlogBytesMax: 256 * 1024,
  /** Appeals re-read in one query. */
  readBatchMax: 500,
  /** After a failed re-read, wait this long before trying again. */
  readRetryMs: 1_000,
};

/**
 * The client a stream is counted against: its IPv4 address, or its IPv6 /64 (a subscriber is given
 * a whole /64 and may use any address in it, so one person could otherwise be thousands).
 */
export function clientKeyOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

interface Stream {
  res: ServerResponse;
  appealId: string;
  /** Who opened it (clientKeyOf): its share of the streams is counted per client. */
  client: string;
  /** The last event this client got, so an unchanged summary is not sent again. */
  last: string;
  open: boolean;
}

/**
 * One instance's live progress: one LISTEN connection, and a fan-out to every open stream per
 * appeal. Notifications mark an appeal changed; shortly after, every changed appeal is read in one
 * query and each one's event, serialized once, goes to all of its streams. The same read refreshes
 * the appeal cache that GET /api/appeals/:slug serves from.
 */
export class ProgressHub {
  private readonly channels = new Map<string, Set<Stream>>();
  /** Open streams per client (clientKeyOf), only clients holding one. */
  private readonly clientStreams = new Map<string, number>();
  private readonly changed = new Set<string>();
  private streamCount = 0;
  private flushTimer?: NodeJS.Timeout;
  private flushing = false;
  private keepAliveTimer?: NodeJS.Timeout;
  private listener?: Listener;
  private listens = 0;
  private closed = false;
  private counts = { notifications: 0, reads: 0, events: 0 };

  constructor(
    private readonly deps: { database: Database; cache: AppealCache; log: FastifyBaseLogger; streamsMax: number; streamsPerClientMax: number },
    private readonly opts = liveDefaults,
  ) {}

  async start(): Promise<void> {
    this.listener = await this.deps.database.listen(progressChannel, (payload) => this.onNotify(payload), () => this.onListen());
    this.keepAliveTimer = setInterval(() => this.keepAlive(), this.opts.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  get openStreams(): number {
    return this.streamCount;
  }

  /** What this hub has done since it started: NOTIFYs taken, re-reads (one query each), events written. */
  get stats(): { streams: number; notifications: number; reads: number; events: number } {
    return { streams: this.streamCount, ...this.counts };
  }

  hasRoom(): boolean {
    return !this.closed && this.streamCount < this.deps.streamsMax;
  }

  /** Whether `client` (clientKeyOf) may open one more stream: it holds less than its share. */
  clientHasRoom(client: string): boolean {
    return (this.clientStreams.get(client) ?? 0) < this.deps.streamsPerClientMax;
  }

  /**
   * Streams `entry`'s appeal on `res` (a hijacked reply, nothing written yet), starting with the
   * summary in `entry`. `notificationsAtRead` is the cache's count from before `entry` was read: if
   * a notification came in since, the read may be older than the change, so the appeal is re-read.
   */
  open(res: ServerResponse, entry: CachedAppeal, notificationsAtRead: number, headers: OutgoingHttpHeaders, client: string): void {
    if (!this.hasRoom() || !this.clientHasRoom(client)) throw new Error('ProgressHub.open without room: check hasRoom() and clientHasRoom() first');
    // Gone while its appeal was read: its 'close' has fired already and would never remove it.
    if (!res.socket || res.socket.destroyed) return void res.destroy();
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const stream: Stream = { res, appealId: entry.appealId, client, last: entry.progressEvent, open: true };
    let streams = this.channels.get(entry.appealId);
    if (!streams) this.channels.set(entry.appealId, (streams = new Set()));
    streams.add(stream);
    this.streamCount++;
    this.clientStreams.set(client, (this.clientStreams.get(client) ?? 0) + 1);
    res.on('close', () => this.remove(stream));
    res.write(`retry: ${this.opts.retryMs}\n\n${entry.progressEvent}`);
    if (notificationsAtRead !== this.deps.cache.notifications) this.markChanged(entry.appealId);
  }

  /** Ends every open stream (the clients reconnect elsewhere) and refuses new ones: shutdown's first step. */
  endStreams(): void {
    this.closed = true;
    for (const streams of this.channels.values()) for (const s of streams) s.res.end();
  }

  async close(): Promise<void> {
    this.endStreams();
    clearTimeout(this.flushTimer);
    clearInterval(this.keepAliveTimer);
    await this.listener?.close();
  }

  private remove(stream: Stream): void {
    if (!stream.open) return;
    stream.open = false;
    this.streamCount--;
    const held = (this.clientStreams.get(stream.client) ?? 1) - 1;
    if (held > 0) this.clientStreams.set(stream.client, held);
    else this.clientStreams.delete(stream.client);
    const streams = this.channels.get(stream.appealId);
    streams?.delete(stream);
    if (streams?.size === 0) this.channels.delete(stream.appealId);
  }

  private onNotify(payload: string): void {
    // Anything else on the channel is not ours to act on.
    if (!isUuidText(payload)) return;
    this.counts.notifications++;
    this.deps.cache.changed(payload);
    if (this.channels.has(payload)) this.markChanged(payload);
  }

  /**
   * Notifications from before this LISTEN were missed: after a lost connection, or before the first
   * LISTEN succeeded if the database was away at start. Re-read everything streamed, drop the cache.
   */
  private onListen(): void {
    if (++this.listens > 1) this.deps.log.info('listening for appeal progress again; re-reading every streamed appeal');
    this.deps.cache.clear();
    for (const appealId of this.channels.keys()) this.markChanged(appealId);
  }

  private markChanged(appealId: string): void {
    this.changed.add(appealId);
    this.scheduleFlush(this.opts.coalesceMs);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer || this.flushing || this.closed) return;
    this.flushTimer = setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const ids = [...this.changed].slice(0, this.opts.readBatchMax);
    for (const id of ids) this.changed.delete(id);
    this.flushing = true;
    let retryMs = this.opts.coalesceMs;
    try {
      const notificationsAtRead = this.deps.cache.notifications;
      this.counts.reads++;
      const details = await getPublicAppealsByIds(this.deps.database.db, ids);
      if (this.closed) return;
      const found = new Set<string>();
      for (const detail of details) {
        const entry = cacheEntry(detail, this.deps.cache.ttlMs);
        this.deps.cache.put(entry, notificationsAtRead);
        found.add(entry.appealId);
        this.send(entry.appealId, entry.progressEvent);
        // Closed meanwhile (by its organizers or its deadline): open pages stop offering the form.
        if (entry.status !== 'live') this.endChannel(entry.appealId, closedEvent);
      }
      // Gone or back to draft: nothing public to stream any more.
      for (const id of ids) if (!found.has(id)) this.endChannel(id);
    } catch (err) {
      this.deps.log.warn({ err: safeError(err), appeals: ids.length }, 'reading changed appeals failed; will retry');
      for (const id of ids) if (this.channels.has(id)) this.changed.add(id);
      retryMs = this.opts.readRetryMs;
    } finally {
      this.flushing = false;
      if (this.changed.size > 0) this.scheduleFlush(retryMs);
    }
  }

  private send(appealId: string, event: string): void {
    const streams = this.channels.get(appealId);
    if (!streams) return;
    for (const s of streams) {
      if (s.last === event) continue;
      s.last = event;
      this.counts.events++;
      this.write(s, event);
    }
  }

  private write(s: Stream, chunk: string): void {
    // A client that does not read would otherwise hold an ever-growing buffer here.
    if (s.res.writableLength > this.opts.backlogBytesMax) s.res.destroy();
    else s.res.write(chunk);
  }

  /** Ends every stream of the appeal, with `last` as their last event when given. */
  private endChannel(appealId: string, last?: string): void {
    for (const s of this.channels.get(appealId) ?? []) {
      if (last) this.write(s, last);
      s.res.end();
    }
  }

  private keepAlive(): void {
    for (const streams of this.channels.values()) for (const s of streams) this.write(s, ': keep-alive\n\n');
  }
}

export interface AppealLive {
  cache: AppealCache;
  hub: ProgressHub;
}

declare module 'fastify' {
  interface FastifyInstance {
    appealLive: AppealLive;
  }
}

/**
 * The appeal cache and the live hub of this instance. It listens once the app is ready, ends open
 * streams when the app starts closing (else closing would wait on them), and stops listening last.
 */
export const appealLivePlugin = fp(
  async (app) => {
    const cache = new AppealCache(app.database.db);
    const hub = new ProgressHub({ database: app.database, cache, log: app.log, streamsMax: app.config.LIVE_STREAMS_MAX, streamsPerClientMax: app.config.LIVE_STREAMS_PER_CLIENT_MAX });
    app.decorate('appealLive', { cache, hub });
    app.addHook('onReady', () => hub.start());
    app.addHook('preClose', async () => hub.endStreams());
    app.addHook('onClose', () => hub.close());
  },
  { name: 'appeal-live' },
);
