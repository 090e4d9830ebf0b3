import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startTsWorker, type TsWorker } from './ts-worker';

// The appeals bench's client side, in threads of their own so that their work is not added to the
// server's event loop: an autocannon load generator, and raw sockets holding event streams open.

/** Streams each client thread opens at once (the server's listen backlog is 511). */
const connectLanes = 50;
/** How long a thread waits for every one of its streams to see a gift. */
const deliveryTimeoutMs = 10_000;

export interface LoadResult {
  ok: number;
  bad: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export interface Delivery {
  latenciesMs: number[];
  missing: number;
}

export type StreamsMessage = { type: 'ready' } | { type: 'open'; count: number } | { type: 'expect'; raised: string } | { type: 'committed'; atMs: number };

export const loadRole = 'appeals-bench-load';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number };
}
type Autocannon = ((opts: Record<string, unknown>) => PromiseLike<unknown>) & {
  // Off the main thread autocannon answers raw, histogram-encoded results; this decodes them.
  aggregateResult(results: unknown[], opts: Record<string, unknown>): AutocannonResult;
};

function serveLoad(): void {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  parentPort!.on('message', async (req: { url: string; connections: number; seconds: number }) => {
    const opts = { url: req.url, connections: req.connections, duration: req.seconds };
    const r = autocannon.aggregateResult([await autocannon(opts)], opts);
    const ok = r['2xx'];
    parentPort!.postMessage({ ok, bad: r.non2xx + r.errors + r.timeouts, perSecond: ok / req.seconds, p50: r.latency.p50, p99: r.latency.p99 } satisfies LoadResult);
  });
}

// ---------------------------------------------------------------------------------------------

export const streamsRole = 'appeals-bench-streams';

interface ClientStream {
  socket: Socket;
  buffer: string;
  /** When this stream first saw the expected total (wall-clock ms), or undefined. */
  gotAtMs?: number;
}


/** The client-thread side: raw sockets, one GET each, the events scanned for the awaited total. */
function serveStreams(port: number, path: string): void {
  const streams: ClientStream[] = [];
  let expected = -1n;
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
  const onData = (s: ClientStream, chunk: string, firstEvent: () => void) => {
    s.buffer += chunk;
    let cut: number;
    while ((cut = s.buffer.indexOf('\n\n')) >= 0) {
      const block = s.buffer.slice(0, cut);
      s.buffer = s.buffer.slice(cut + 2);
      const m = /"raisedGrossMinor":"(\d+)"/.exec(block);
      if (!m) continue;
      firstEvent();
      if (s.gotAtMs === undefined && expected >= 0n && BigInt(m[1]!) >= expected) s.gotAtMs = performance.timeOrigin + performance.now();
    }
  };
  const openOne = () =>
    new Promise<boolean>((resolve) => {
      const s: ClientStream = { socket: connect({ port, host: '127.0.0.1' }), buffer: '' };
      s.socket.setEncoding('utf8');
      s.socket.setNoDelay(true);
      s.socket.on('connect', () => s.socket.write(request));
      s.socket.on('data', (chunk: string) => onData(s, chunk, () => resolve(true)));
      s.socket.on('error', () => resolve(false));
      s.socket.on('close', () => resolve(false));
      streams.push(s);
    });
  const open = async (count: number) => {
    let next = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: connectLanes }, async () => {
        while (next < count) {
          next++;
          if (await openOne()) ok++;
        }
      }),
    );
    return { ok, failed: count - ok };
  };
  const delivered = async (atMs: number): Promise<Delivery> => {
    const deadline = performance.now() + deliveryTimeoutMs;
    while (streams.some((s) => s.gotAtMs === undefined && !s.socket.destroyed) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const got = streams.filter((s) => s.gotAtMs !== undefined);
    return { latenciesMs: got.map((s) => s.gotAtMs! - atMs), missing: streams.length - got.length };
  };
  parentPort!.on('message', async (m: StreamsMessage) => {
    if (m.type === 'ready') parentPort!.postMessage({});
    else if (m.type === 'open') parentPort!.postMessage(await open(m.count));
    else if (m.type === 'expect') {
      expected = BigInt(m.raised);
      for (const s of streams) s.gotAtMs = undefined;
      parentPort!.postMessage({});
    } else parentPort!.postMessage(await delivered(m.atMs));
  });
}

// ---------------------------------------------------------------------------------------------
// Threads: this file in a worker, through tsx (a plain Worker cannot load TypeScript). It imports
// nothing of the app, so each client thread stays small.

export function startWorker(role: string, data: Record<string, unknown>): TsWorker {
  return startTsWorker(import.meta.url, { role, ...data });
}

if (!isMainThread) {
  const data = workerData as { role?: string; port?: number; path?: string } | null;
  if (data?.role === loadRole) serveLoad();
  if (data?.role === streamsRole) serveStreams(data.port!, data.path!);
}

