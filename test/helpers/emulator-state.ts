import { existsSync, readFileSync } from 'node:fs';
import { deserializeState } from '../../server/stripe-emulator/store';

/**
 * Waits until the emulator's state file holds Checkout Session `sessionId` paid, with webhook
 * events still owed: what a process killed at that moment leaves behind. The emulator writes the
 * file a little after each change, later on a busy machine, so a fixed wait may come too soon.
 */
export async function paidAndOwedInStateFile(file: string, sessionId: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const state = deserializeState(readFileSync(file, 'utf8'));
      if (state.sessions.get(sessionId)?.payment_status === 'paid' && state.undelivered.size > 0) return;
    }
    if (Date.now() > deadline) throw new Error(`the emulator's state file ${file} never held session ${sessionId} paid with events owed`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
