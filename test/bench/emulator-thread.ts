import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startStripeEmulator, type StripeEmulatorOptions } from '../../server/stripe-emulator/index';
import { startCpuProfile } from './cpu-profile';
import { startTsWorker } from './ts-worker';

/**
 * The Stripe emulator in a worker thread of its own, for benchmarks. Stripe keeps its objects on
 * its own servers, not in the heap of the app being measured: with the emulator in the bench's
 * main thread, 15,000 paid sessions made that heap 800 MB, and collecting it landed on whatever
 * was measured. Reached over HTTP like Stripe, its test controls through its control routes.
 */
export interface EmulatorThread {
  url: string;
  clientOptions: { host: string; port: number; protocol: 'http' };
  /** Pays a Checkout Session with 4242 4242 4242 4242, as a donor on the hosted page would. */
  payCheckoutSession(sessionId: string): Promise<void>;
  /** Profiles the emulator thread's CPU until `stop`, which writes the `.cpuprofile` to `file`. */
  startCpuProfile(file: string): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

type Options = Pick<StripeEmulatorOptions, 'disputeAfterMs'>;
type Started = { url: string; clientOptions: EmulatorThread['clientOptions'] };
type Message = 'started' | 'close' | { profile: string } | 'profile-stop';

const role = 'bench-stripe-emulator';

export async function startEmulatorThread(opts: Options): Promise<EmulatorThread> {
  const worker = startTsWorker(import.meta.url, { role, opts });
  const started = await worker.ask<Started>('started');
  return {
    ...started,
    async payCheckoutSession(sessionId) {
      const res = await fetch(`${started.url}/_emulator/checkout/sessions/${sessionId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!res.ok) throw new Error(`emulator: paying ${sessionId} answered ${res.status}: ${await res.text()}`);
    },
    async startCpuProfile(file) {
      await worker.ask({ profile: file } satisfies Message);
      return { stop: async () => void (await worker.ask('profile-stop' satisfies Message)) };
    },
    async close() {
      await worker.ask('close');
      await worker.close();
    },
  };
}

/** The thread's side: answers 'started' once the emulator listens, and 'close' once it has closed. */
function serveEmulator(opts: Options): void {
  const emulator = startStripeEmulator({ ...opts, logger: false });
  let profiling: { stop(): Promise<void> } | undefined;
  parentPort!.on('message', async (message: Message) => {
    const e = await emulator;
    if (message === 'started') parentPort!.postMessage({ url: e.url, clientOptions: e.clientOptions } satisfies Started);
    else if (message === 'close') await e.close().then(() => parentPort!.postMessage('closed'));
    else if (message === 'profile-stop') await profiling?.stop().then(() => parentPort!.postMessage('stopped'));
    else profiling = await startCpuProfile(message.profile).then((p) => (parentPort!.postMessage('profiling'), p));
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === role) {
  serveEmulator((workerData as { opts: Options }).opts);
}
