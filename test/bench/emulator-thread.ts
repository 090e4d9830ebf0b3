import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startStripeEmulator, type StripeEmulatorOptions } from '../../server/stripe-emulator/index';

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
  close(): Promise<void>;
}

type Options = Pick<StripeEmulatorOptions, 'disputeAfterMs'>;
type Started = { url: string; clientOptions: EmulatorThread['clientOptions'] };

const role = 'bench-stripe-emulator';

export async function startEmulatorThread(opts: Options): Promise<EmulatorThread> {
  // A plain Worker cannot load TypeScript: the thread registers tsx, then loads this file.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(code, { eval: true, workerData: { role, opts } });
  const started = await new Promise<Started>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    ...started,
    async payCheckoutSession(sessionId) {
      const res = await fetch(`${started.url}/_emulator/checkout/sessions/${sessionId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!res.ok) throw new Error(`emulator: paying ${sessionId} answered ${res.status}: ${await res.text()}`);
    },
    async close() {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
    },
  };
}

async function serveEmulator(opts: Options): Promise<void> {
  const emulator = await startStripeEmulator({ ...opts, logger: false });
  parentPort!.postMessage({ url: emulator.url, clientOptions: emulator.clientOptions } satisfies Started);
  parentPort!.once('message', () => {
    void emulator.close().then(() => process.exit(0));
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === role) {
  void serveEmulator((workerData as { opts: Options }).opts);
}
