import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const smoke = ['test/integration/pglite-smoke.test.ts'];

// The server and database tests run in Node, apart from the SvelteKit vite config. The embedded
// smoke test runs first and alone: it times a cold start, which other files running beside it on
// two cores would distort. The browser tests (e2e) run last, apart from the rest: each file starts
// the real server and a headless Chromium, so they run one file at a time, with the machine to
// themselves (the page-speed check among them would otherwise time the other file's browser).
// How long an e2e expect.poll waits for what a page or the server does next (a stream opened once
// the page's script runs, a row written by an enhanced form's request). Vitest's default is 1 s,
// which a page hydrating after its load event, on two cores shared with a server and a browser,
// can outlast; the condition is still what is waited for, and a poll ends as soon as it holds.
const E2E_POLL_BUDGET_MS = 10_000;

export default defineConfig({
  root,
  test: {
    environment: 'node',
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'smoke', include: smoke, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          exclude: smoke,
          sequence: { groupOrder: 1 },
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 60_000, hookTimeout: 120_000, expect: { poll: { timeout: E2E_POLL_BUDGET_MS } }, sequence: { groupOrder: 2 } } },
    ],
  },
});
