import { errorBodySchema } from '@flagline/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS } from '../helpers/http';
import { type Route, requestArbitrary, seedRequestTargets } from '../helpers/request-arbitraries';

/**
 * Fixed, so a run is reproducible (a failure prints the seed and the counterexample). PROPERTY_SEED and
 * PROPERTY_RUNS explore further by hand, e.g. `PROPERTY_SEED=$RANDOM PROPERTY_RUNS=10000 npx vitest run property`.
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 4747);
const RUNS = Math.max(2_000, Number(process.env.PROPERTY_RUNS ?? 2_000));

describe.each(testBackends())('property: generated admin requests (%s)', (backend) => {
  let t: TestApp;
  /** Ids of seeded schedules and tokens, so generated ids sometimes name something that exists. */
  const knownIds: string[] = [];
  beforeAll(async () => {
    t = await createTestApp(backend);
    knownIds.push(...(await seedRequestTargets((method, path, body) => t.request(method, path, { body }))));
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it(`answers ${RUNS} generated requests without a 5xx, every error in the error shape`, async () => {
    const seen = new Map<string, Route>();
    for (const route of t.app.routes) {
      // the admin API, and evaluation; not the SSE streams (/api/client/stream, /api/config/stream), which never end
      if (route.method === 'ALL' || !/^\/api\/(admin|config)\//.test(route.path) || route.path.endsWith('/stream')) {
        continue;
      }
      seen.set(`${route.method} ${route.path}`, { method: route.method, path: route.path });
    }
    const routes = [...seen.values()];
    expect(routes.filter((route) => route.path.startsWith('/api/admin')).length).toBeGreaterThanOrEqual(17);

    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary(routes, knownIds), async (request) => {
        const response = await t.request(request.method, request.path, request.options);
        sent++;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const where = `${request.method} ${request.path} → ${response.status} ${JSON.stringify(response.body)}`;
        if (response.status >= 500) throw new Error(`5xx: ${where}`);
        if (response.status >= 400 && request.method !== 'HEAD') {
          const parsed = errorBodySchema.safeParse(response.body);
          if (!parsed.success) throw new Error(`not the error shape: ${where}`);
          if (parsed.data.requestId !== response.headers.get('x-request-id')) {
            throw new Error(`requestId differs from X-Request-Id: ${where}`);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );

    expect(sent).toBeGreaterThanOrEqual(RUNS);
    const count = (from: number, to: number) =>
      [...statuses].filter(([status]) => status >= from && status < to).reduce((sum, [, n]) => sum + n, 0);
    // the generator reaches past validation into the use cases, not only into 400s
    expect(count(200, 300), JSON.stringify([...statuses])).toBeGreaterThan(RUNS / 20);
    expect(count(400, 500)).toBeGreaterThan(RUNS / 2);
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 201, 204, 400, 404, 409]));
    // ~20 s on an idle 2-core machine; the margin is for one shared with other suites
  }, 600_000);
});
