import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Tests run on the workspace packages' TypeScript sources, so they never depend on a stale build. */
const SOURCE_CONDITION = '@repo/source';

/*
 * Four projects, chosen by where a test file lives or how it is named, so moving a file moves it between them:
 * `npx vitest run --project unit` (or integration, processes, browser); `npm test` runs all four.
 * - unit: pure code, no database, no server (core, the web UI's own tests, and `*.unit.test.ts` anywhere).
 * - integration: the server and SDK in this process on a real database (PGlite; PostgreSQL with TEST_DATABASE_URL).
 * - processes: `*.process.test.ts`, tests that spawn the built `flagline` bin (or other processes) — slower, and timing-sensitive.
 * - browser: the admin UI driven in a browser.
 */
const UNIT = [
  'packages/core/test/**/*.test.ts',
  'packages/web/test/**/*.test.{ts,tsx}',
  'packages/*/{src,test}/**/*.unit.test.{ts,tsx}',
];
const BROWSER = ['packages/web/e2e/**/*.test.ts'];
const PROCESSES = ['packages/*/test/**/*.process.test.{ts,tsx}'];
const ALL_TESTS = ['packages/*/{src,test}/**/*.test.{ts,tsx}'];

/** What every project shares; the global setup stays with the root config so it runs once, not once per project. */
const shared = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
};
const sharedTest = { testTimeout: 30_000, hookTimeout: 180_000, pool: 'forks' as const };

export default defineConfig({
  ...shared,
  test: {
    maxWorkers: 2,
    globalSetup: ['./vitest.global-setup.ts'],
    projects: [
      { ...shared, test: { ...sharedTest, name: 'unit', include: UNIT } },
      { ...shared, test: { ...sharedTest, name: 'integration', include: ALL_TESTS, exclude: [...UNIT, ...PROCESSES] } },
      { ...shared, test: { ...sharedTest, name: 'processes', include: PROCESSES } },
      { ...shared, test: { ...sharedTest, name: 'browser', include: BROWSER } },
    ],
  },
});
