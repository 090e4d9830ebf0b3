import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoGifts } from '../../db/seed-data';
import { spawnServer } from '../helpers/spawn-server';

// A new user's first `npm start` seeds the demo, then gives its gifts through the emulator. Stopped
// between the two (Ctrl-C a second too early, a laptop lid closed), every later start found the demo
// seeded and gave nothing: an appeal at zero, no receipts, no update, for good.

const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function embedded(dataDir: string, env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'DEMO_GIFTS')) as Record<string, string>;
  return spawnServer({ ...base, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, 60_000);
}

const giftCount = async (url: string, slug: string): Promise<number> => ((await (await fetch(`${url}/api/appeals/${slug}`)).json()) as { progress: { giftCount: number } }).progress.giftCount;
const givenLine = 'gave the demo gifts through the Stripe emulator';
const demoCount = (slug: string) => demoGifts.filter((g) => g.appeal === slug).length;

async function receiptsAndUpdates(url: string): Promise<{ receipts: number; updates: number }> {
  const { mail } = (await (await fetch(`${url}/api/dev/mail?limit=100`)).json()) as { mail: { kind: string; to: string }[] };
  return { receipts: mail.filter((m) => m.kind === 'receipt').length, updates: mail.filter((m) => m.kind === 'appeal_update').length };
}

async function allBooked(url: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const n = await giftCount(url, 'buck-a-brick');
    if (n >= demoCount('buck-a-brick') && (await receiptsAndUpdates(url)).updates > 0) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return giftCount(url, 'buck-a-brick');
}

describe('the demo gifts after a first start that stopped early', () => {
  it('are given on the next start when the first seeded the demo and gave none', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-demo-resume-'));
    dataDirs.push(dataDir);
    const first = await embedded(dataDir, { DEMO_GIFTS: 'false' });
    try {
      expect(await giftCount(first.url, 'buck-a-brick')).toBe(0);
    } finally {
      await first.stop();
    }
    const second = await embedded(dataDir);
    try {
      expect(await allBooked(second.url)).toBe(demoCount('buck-a-brick'));
      expect(await giftCount(second.url, 'osaka-care-strike-fund')).toBe(demoCount('osaka-care-strike-fund'));
      expect((await receiptsAndUpdates(second.url)).receipts).toBe(demoGifts.length);
    } finally {
      await second.stop();
    }
  }, 150_000);

  it('are each given once when the first start is killed while giving them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-demo-killed-'));
    dataDirs.push(dataDir);
    const first = await embedded(dataDir);
    // Ready means listening, and the gifts start just then: killed somewhere among them.
    first.process.kill('SIGKILL');
    await new Promise((resolve) => (first.process.exitCode !== null || first.process.signalCode !== null ? resolve(null) : first.process.once('exit', resolve)));
    const second = await embedded(dataDir);
    try {
      expect(await allBooked(second.url)).toBe(demoCount('buck-a-brick'));
      const { receipts, updates } = await receiptsAndUpdates(second.url);
      expect(receipts).toBe(demoGifts.length);
      expect(updates).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
    expect(second.output()).toContain(givenLine);
    // A third start finds the demo complete and does not give again. A stop waits for the giving
    // under way, so once stopped its log says whether it gave.
    const third = await embedded(dataDir);
    await third.stop();
    expect(third.output()).not.toContain('demo gifts');
    const fourth = await embedded(dataDir, { DEMO_GIFTS: 'false' });
    try {
      expect(await giftCount(fourth.url, 'buck-a-brick')).toBe(demoCount('buck-a-brick'));
      expect((await receiptsAndUpdates(fourth.url)).receipts).toBe(demoGifts.length);
    } finally {
      await fourth.stop();
    }
  }, 200_000);
});
