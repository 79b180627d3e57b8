import { type Client, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChangeNotice } from '../src/web';
import { createFlaglineWebProvider, type FlaglineWebProvider } from '../src/web';
import { createFlag, startTestServer, type TestServer, waitFor } from './helpers/flagline';

/**
 * @flagline/sdk/web under the OpenFeature web SDK (in Node here; packages/web/e2e/web-provider.test.ts runs it in
 * Chromium): a frontend token, live re-evaluation on change notices, coalesced bursts, and an Error event once the
 * token is revoked.
 */

vi.setConfig({ testTimeout: 60_000 });

let server: TestServer;

async function frontendToken(name: string): Promise<{ id: string; secret: string }> {
  const token = await server.admin.createToken({
    name,
    role: 'frontend',
    environment: 'production',
    allowedOrigins: ['*'],
  });
  return { id: token.id, secret: token.secret };
}

async function connect(
  domain: string,
  token: string,
  options: { fetch?: typeof fetch } = {},
): Promise<{ client: Client; provider: FlaglineWebProvider; notices: ChangeNotice[]; changes: string[][] }> {
  const notices: ChangeNotice[] = [];
  const changes: string[][] = [];
  const provider = createFlaglineWebProvider({
    url: server.url,
    token,
    reconnect: { initialMs: 50, maxMs: 200 },
    onNotice: (notice) => notices.push(notice),
    ...options,
  });
  await OpenFeature.setContext(domain, { targetingKey: 'alice' });
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  client.addHandler(ProviderEvents.ConfigurationChanged, (details) => changes.push(details?.flagsChanged ?? []));
  await waitFor('the change stream', () => notices.some((notice) => notice.type === 'ready'));
  return { client, provider, notices, changes };
}

beforeAll(async () => {
  server = await startTestServer({ SSE_HEARTBEAT_MS: '1000' });
  await createFlag(server.admin, 'web-on', { enabled: true, rolloutPercentage: 100 });
  await createFlag(server.admin, 'web-other', { enabled: false, rolloutPercentage: 100 });
  await createFlag(server.admin, 'web-burst', { enabled: true, rolloutPercentage: 100 });
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await server?.close();
});

describe('createFlaglineWebProvider', () => {
  it('evaluates with a frontend token and announces exactly the flags a change flipped', async () => {
    const { secret } = await frontendToken('web live');
    const { client, changes } = await connect('live', secret);
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(client.getBooleanDetails('web-on', false)).toMatchObject({ value: true, variant: 'on' });
    expect(client.getBooleanValue('web-other', true)).toBe(false);

    const started = Date.now();
    await server.admin.updateFlag('web-other', { enabled: true });
    await waitFor('web-other on', () => client.getBooleanValue('web-other', false), 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    // The SDK dispatches provider events after the value is readable: wait for the announcement, then check it.
    await waitFor('the change announced', () => changes.length > 0, 2_000);
    expect(changes).toEqual([['web-other']]);
  });

  it('after a burst of changes ends on the last state, one evaluation in flight at a time', async () => {
    const { secret } = await frontendToken('web burst');
    let inFlight = 0;
    let mostInFlight = 0;
    let evaluations = 0;
    const counting: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.includes('/ofrep/v1/evaluate/flags')) return fetch(input, init);
      evaluations += 1;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    const { client } = await connect('burst', secret, { fetch: counting });
    const before = evaluations;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => server.admin.updateFlag('web-burst', { enabled: i % 2 === 1 })),
    );
    await server.admin.updateFlag('web-burst', { enabled: false });
    await waitFor('web-burst off', () => client.getBooleanValue('web-burst', true) === false, 5_000);
    expect(mostInFlight).toBe(1);
    // Eleven changes: never more evaluations than notices (a notice during a request folds into one more after it).
    expect(evaluations - before).toBeGreaterThan(0);
    expect(evaluations - before).toBeLessThanOrEqual(11);
  });

  it('reports an Error once its token is revoked, and stops streaming on close', async () => {
    const token = await frontendToken('web revoked');
    const signals: AbortSignal[] = [];
    const recording: typeof fetch = (input, init) => {
      if (String(input).endsWith('/api/config/stream') && init?.signal) signals.push(init.signal);
      return fetch(input, init);
    };
    const { client, provider, notices } = await connect('revoked', token.secret, { fetch: recording });
    const errors: string[] = [];
    client.addHandler(ProviderEvents.Error, (details) => errors.push(details?.message ?? ''));
    await server.admin.revokeToken(token.id);
    await waitFor('an Error event', () => errors.length > 0, 5_000);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(notices).toContainEqual(expect.objectContaining({ type: 'disconnected', status: 401 }));
    // Values already evaluated stay available.
    expect(client.getBooleanValue('web-on', false)).toBe(true);

    await provider.onClose();
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
