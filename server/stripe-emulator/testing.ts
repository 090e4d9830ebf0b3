import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Test support, reusable by other suites: a tiny webhook endpoint that records raw bodies and
// answers with scripted statuses, and a no-JavaScript submit of the hosted checkout form.
export interface Received {
  body: string;
  signature: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, one per request, then 200. */
  script(statuses: number[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature'] ?? '') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    script: (s) => {
      statuses = [...s];
    },
    reset: () => {
      received.length = 0;
      statuses = [];
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface CardForm {
  card_number: string;
  card_expiry?: string;
  card_cvc?: string;
  card_name?: string;
  email?: string;
}

/** Submits the hosted checkout form as a browser without JavaScript would. */
export async function submitCheckoutForm(url: string, form: CardForm): Promise<Response> {
  const body = new URLSearchParams({
    card_expiry: '12 / 34',
    card_cvc: '123',
    card_name: 'Ada Member',
    email: 'ada@example.org',
    ...form,
  });
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}
