import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startPollLoop } from '../../server/poll-loop';

// A wake that came while a round was under way was dropped: the round had read its work before
// the new work arrived, and the loop then slept the whole poll interval with that work waiting.

describe('a poll loop', () => {
  it('runs again at once when woken during a round', async () => {
    let rounds = 0;
    const loop = startPollLoop({
      name: 'test',
      pollMs: 60_000,
      log: pino({ level: 'silent' }),
      work: async () => {
        // New work arrives (and wakes the loop) while the first round is busy.
        if (++rounds === 1) await new Promise((resolve) => setTimeout(resolve, 10)).then(() => loop.wake());
        return { more: false };
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await loop.stop();
    expect(rounds).toBe(2);
  });

  it('sleeps until woken or the poll interval passes when nothing woke it', async () => {
    let rounds = 0;
    const loop = startPollLoop({ name: 'test', pollMs: 60_000, log: pino({ level: 'silent' }), work: async () => (rounds++, { more: false }) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rounds).toBe(1);
    loop.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rounds).toBe(2);
    await loop.stop();
  });
});
