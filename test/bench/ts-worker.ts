import { Worker } from 'node:worker_threads';

export interface TsWorker {
  /** Posts `message` and resolves with the worker's next reply (or rejects if the worker fails). */
  ask<T = unknown>(message: unknown): Promise<T>;
  close(): Promise<number>;
}

/**
 * A worker thread running the TypeScript module at `moduleUrl`, which tells its role from
 * `workerData` and answers each message with one reply, in order. A plain Worker cannot load
 * TypeScript: the thread registers tsx first.
 */
export function startTsWorker(moduleUrl: string, workerData: unknown): TsWorker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(moduleUrl)}); })`;
  const worker = new Worker(code, { eval: true, workerData });
  const replies: ((r: unknown) => void)[] = [];
  worker.on('message', (r: unknown) => replies.shift()?.(r));
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {}); // reported through ask(); not an unhandled rejection between asks
  return {
    ask<T = unknown>(message: unknown): Promise<T> {
      worker.postMessage(message);
      return Promise.race([new Promise<T>((resolve) => replies.push(resolve as (r: unknown) => void)), failed]);
    },
    close: () => worker.terminate(),
  };
}
