import { request, type IncomingHttpHeaders } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when the event was complete. */
  atMs: number;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body of a non-200 answer. */
  body: string;
  events: SseEvent[];
  /** Comment lines (keep-alives) received. */
  comments: number;
  /** Resolves with the first event (already received or still to come) that `match` accepts. */
  next(match: (e: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A minimal EventSource for tests: one GET, the events parsed as they arrive, no reconnect. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let body = '';
      let comments = 0;
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (res.statusCode !== 200) return void (body += chunk);
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split('\n');
          comments += lines.filter((l) => l.startsWith(':')).length;
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (event) events.push({ event, data, atMs: performance.now() });
        }
        for (const w of waiters) w();
      });
      res.on('close', () => endedResolve());
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        get comments() {
          return comments;
        },
        events,
        ended,
        next(match, timeoutMs) {
          return new Promise((ok, fail) => {
            const check = () => {
              const hit = events.find(match);
              if (!hit) return false;
              waiters.delete(check);
              clearTimeout(timer);
              ok(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.data))}`));
            }, timeoutMs);
            if (!check()) waiters.add(check);
          });
        },
        close: () => req.destroy(),
      };
      if (res.statusCode === 200) resolve(client);
      else res.on('end', () => resolve(client));
    });
    req.on('error', reject);
    req.end();
  });
}
