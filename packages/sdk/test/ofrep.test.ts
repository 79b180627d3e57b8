import { OFREPProvider } from '@openfeature/ofrep-provider';
import { type Client, ErrorCode, OpenFeature, ProviderStatus } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/flagline';

/**
 * The official @openfeature/ofrep-provider, unmodified, pointed at Flagline's OFREP routes; every OpenFeature SDK that
 * speaks OFREP can evaluate Flagline flags without a Flagline-specific provider.
 */

// Real servers and processes on a machine that may be busy: generous per-test time, tight assertions.
vi.setConfig({ testTimeout: 90_000 });

let server: TestServer;
let token: string;
let client: Client;

beforeAll(async () => {
  server = await startTestServer();
  token = await server.clientToken();
  await createFlag(server.admin, 'ofrep-on', { enabled: true, rolloutPercentage: 100 });
  await createFlag(server.admin, 'ofrep-off', { enabled: false, rolloutPercentage: 100 });
  await createFlag(
    server.admin,
    'ofrep-rollout',
    { enabled: true, rolloutPercentage: 35 },
    { include: ['friend'], exclude: ['foe'] },
  );
  const provider = new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${token}`]] });
  await OpenFeature.setProviderAndWait('ofrep', provider);
  client = OpenFeature.getClient('ofrep');
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await server?.close();
});

describe('the official OFREP provider against Flagline', () => {
  it('is ready and evaluates on and off flags with OpenFeature reasons and variants', async () => {
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(client.metadata.providerMetadata.name).toBe('OpenFeature Remote Evaluation Protocol Server');
    expect(await client.getBooleanDetails('ofrep-on', false, { targetingKey: 'u1' })).toMatchObject({
      value: true,
      reason: 'STATIC',
      variant: 'on',
      flagMetadata: { rolloutPercentage: 100 },
    });
    const off = await client.getBooleanDetails('ofrep-off', true, { targetingKey: 'u1' });
    expect(off).toMatchObject({ value: false, reason: 'DISABLED', variant: 'off' });
    expect(off.errorCode).toBeUndefined();
  });

  it("a rollout evaluates per targetingKey exactly as the server's own evaluation does", async () => {
    let on = 0;
    for (let i = 0; i < 200; i++) {
      const userId = `ofrep-user-${i}`;
      const response = await fetch(`${server.url}/api/config/flags?userId=${userId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const expected = ((await response.json()) as Record<string, boolean>)['ofrep-rollout'];
      const details = await client.getBooleanDetails('ofrep-rollout', !expected, { targetingKey: userId });
      expect({ userId, value: details.value, reason: details.reason }).toEqual({
        userId,
        value: expected,
        reason: 'SPLIT',
      });
      if (details.value) on++;
    }
    expect(on).toBeGreaterThan(40); // 35 % of 200 is 70
    expect(on).toBeLessThan(100);
  });

  it('overrides come back as TARGETING_MATCH; without a targetingKey a partial rollout is off (DEFAULT)', async () => {
    expect(await client.getBooleanDetails('ofrep-rollout', false, { targetingKey: 'friend' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(await client.getBooleanDetails('ofrep-rollout', true, { targetingKey: 'foe' })).toMatchObject({
      value: false,
      reason: 'TARGETING_MATCH',
    });
    expect(await client.getBooleanDetails('ofrep-rollout', true)).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('an unknown flag returns the default with FLAG_NOT_FOUND', async () => {
    for (const fallback of [true, false]) {
      const details = await client.getBooleanDetails('ofrep-missing', fallback, { targetingKey: 'u1' });
      expect(details).toMatchObject({ value: fallback, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    }
  });

  it('asking for a string of a boolean flag is TYPE_MISMATCH, and a change made through the API is seen at once', async () => {
    const text = await client.getStringDetails('ofrep-on', 'fallback');
    expect(text).toMatchObject({ value: 'fallback', errorCode: ErrorCode.TYPE_MISMATCH });
    await server.admin.updateFlag('ofrep-on', { enabled: false });
    expect(await client.getBooleanValue('ofrep-on', true)).toBe(false);
  });

  it('a bad token does not throw into the application: the default comes back with an error code', async () => {
    const bad = new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', 'Bearer fl_not_a_real_token']] });
    await OpenFeature.setProviderAndWait('ofrep-bad-token', bad);
    const details = await OpenFeature.getClient('ofrep-bad-token').getBooleanDetails('ofrep-on', true);
    expect(details.value).toBe(true);
    expect(details.reason).toBe('ERROR');
    expect(details.errorCode).toBeDefined();
  });

  it('a frontend token sent as X-API-Key evaluates through the unmodified provider, values only', async () => {
    const frontend = await server.admin.createToken({
      name: 'ofrep frontend',
      role: 'frontend',
      environment: 'production',
      allowedOrigins: ['https://app.example.com'],
    });
    const provider = new OFREPProvider({ baseUrl: server.url, headers: [['X-API-Key', frontend.secret]] });
    await OpenFeature.setProviderAndWait('ofrep-frontend', provider);
    const frontendClient = OpenFeature.getClient('ofrep-frontend');
    const friend = await frontendClient.getBooleanDetails('ofrep-rollout', false, { targetingKey: 'friend' });
    expect(friend).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'on' });
    expect(friend.errorCode).toBeUndefined();
    expect(friend.flagMetadata).toEqual({});
    const missing = await frontendClient.getBooleanDetails('no-such-flag', true, { targetingKey: 'friend' });
    expect(missing).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
  });
});
