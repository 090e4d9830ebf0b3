import { existsSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { deserializeState, emptyState, serializeState, type State } from './store';

/** Loads the demo's saved state; a file that can't be read is moved aside rather than lost. */
export function loadState(file: string | undefined, log: Logger | undefined): State {
  if (!file || !existsSync(file)) return emptyState();
  try {
    return deserializeState(readFileSync(file, 'utf8'));
  } catch (err) {
    const aside = `${file}.unreadable-${Date.now()}`;
    renameSync(file, aside);
    log?.warn({ file, movedTo: aside, err: (err as Error).message }, 'stripe emulator: state file unreadable, starting empty');
    return emptyState();
  }
}

// Writes are coalesced and atomic (temp file + rename), so a crash never leaves half a file.
export class StateWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly current: () => State,
    private readonly log: Logger | undefined,
  ) {}

  schedule(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write();
    }, 100);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      await this.write();
    }
    await this.writing;
  }

  private write(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const text = serializeState(this.current());
    this.writing = this.writing
      .then(async () => {
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, file);
      })
      .catch((err: unknown) => this.log?.error({ err: (err as Error).message, file }, 'stripe emulator: could not save state'));
    return this.writing;
  }
}
