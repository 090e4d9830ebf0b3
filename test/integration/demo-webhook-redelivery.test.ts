import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { paidAndOwedInStateFile } from '../helpers/emulator-state';
import { freePort, spawnServer } from '../helpers/spawn-server';

// `npm start` with no settings: PGlite, the emulator in the process, its state in DATA_DIR. A gift
// paid and saved by the emulator whose webhooks had not reached the app when the process was killed
// stayed pending for good (and each later start waited for it). The next start delivers them now.

const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function embedded(dataDir: string, port: number, emulatorPort: number) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'DEMO_GIFTS')) as Record<string, string>;
  return spawnServer({ ...base, DATABASE_URL: '', DATA_DIR: dataDir, DEMO_GIFTS: 'false', PORT: String(port), STRIPE_EMULATOR_PORT: String(emulatorPort) }, 150_000);
}

const giftCount = async (url: string): Promise<number> =>
  ((await (await fetch(`${url}/api/appeals/buck-a-brick`)).json()) as { progress: { giftCount: number } }).progress.giftCount;

async function control(emulatorPort: number, path: string, body: object = {}): Promise<Response> {
  const res = await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

describe('a demo gift paid just before the process was killed', () => {
  it('posts on the next start, from the webhooks the emulator still owed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-demo-redelivery-'));
    dataDirs.push(dataDir);
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const first = await embedded(dataDir, port, emulatorPort);
    let before: number;
    try {
      before = await giftCount(first.url);
      await control(emulatorPort, 'pause');
      const res = await fetch(`${first.url}/api/appeals/buck-a-brick/donations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amountMinor: '2500', donorEmail: 'member@example.org', donorName: 'A. Member', idempotencyKey: 'redelivery-1' }),
      });
      expect(res.status).toBe(201);
      const sessionId = new URL(((await res.json()) as { checkoutUrl: string }).checkoutUrl).pathname.split('/').at(-1)!;
      await control(emulatorPort, `checkout/sessions/${sessionId}/pay`, { card: '4242424242424242' });
      // Killed once the emulator saved the paid session, its delivery queue still in memory.
      await paidAndOwedInStateFile(join(dataDir, 'stripe-emulator.json'), sessionId);
      expect(await giftCount(first.url)).toBe(before);
    } finally {
      first.process.kill('SIGKILL');
      await new Promise((resolve) => (first.process.exitCode !== null || first.process.signalCode !== null ? resolve(null) : first.process.once('exit', resolve)));
    }

    const second = await embedded(dataDir, port, emulatorPort);
    try {
      let now = await giftCount(second.url);
      for (let i = 0; i < 200 && now === before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        now = await giftCount(second.url);
      }
      expect(now).toBe(before + 1);
    } finally {
      await second.stop();
    }
  }, 400_000);
});
