import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ruleset } from '@flagline/core';
import { FlaglineProvider, type FlaglineProviderOptions } from '@flagline/sdk/openfeature';
import {
  type Client,
  ErrorCode,
  type EvaluationContext,
  type EventDetails,
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
} from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../../server/test/helpers/database';
import {
  type FlaglineProcess,
  killAllFlaglines,
  type StartedServer,
  spawnFlagline,
  startServe,
} from '../../server/test/helpers/processes';
import { FlaglineClient } from '../src/client';
import {
  createFlag,
  EventStream,
  freePort,
  sleep,
  startTestServer,
  TcpProxy,
  type TestServer,
  waitFor,
} from './helpers/flagline';

/**
 * The OpenFeature server provider against a real Flagline server in this process, through the real OpenFeature SDK.
 * Test names cite the OpenFeature specification requirements they prove (https://openfeature.dev/specification).
 */

/** What a handler received, flattened: event details differ per event type. */
interface Recorded {
  type: ProviderEvents;
  providerName: string | undefined;
  domain: string | undefined;
  message: string | undefined;
  flagsChanged: string[];
}

/** The flag keys of a PROVIDER_CONFIGURATION_CHANGED event's details. */
function flagsChangedOf(details: Record<string, unknown> | undefined): string[] {
  const value = details?.flagsChanged;
  return Array.isArray(value) ? value.filter((key): key is string => typeof key === 'string') : [];
}

function flatten(type: ProviderEvents, details: EventDetails | undefined): Recorded {
  return {
    type,
    providerName: details?.providerName,
    domain: details?.domain,
    message: typeof details?.message === 'string' ? details.message : undefined,
    flagsChanged: flagsChangedOf(details),
  };
}

const LIFECYCLE = [
  ProviderEvents.Ready,
  ProviderEvents.Error,
  ProviderEvents.Stale,
  ProviderEvents.ConfigurationChanged,
];

/** Every provider event the client's handlers see, in order (5.2.1: handlers are attached through the client). */
function record(client: Client): Recorded[] {
  const events: Recorded[] = [];
  for (const type of LIFECYCLE) client.addHandler(type, (details) => events.push(flatten(type, details)));
  return events;
}

/** Waits for an event of `type` at or after index `from` matching `match`; returns its index. */
async function nextEvent(
  events: Recorded[],
  type: ProviderEvents,
  from = 0,
  match: (event: Recorded) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<number> {
  return waitFor(
    `${type} after event #${from} (saw ${JSON.stringify(events.slice(from).map((e) => e.type))})`,
    () => {
      const index = events.findIndex((event, i) => i >= from && event.type === type && match(event));
      return index === -1 ? undefined : index;
    },
    timeoutMs,
  );
}

const changedIncludes = (key: string) => (event: Recorded) => event.flagsChanged.includes(key);

/** Records every request a provider makes (path, and the headers that matter), then forwards it. */
function recordingFetch() {
  const requests: { path: string; ifNoneMatch: string | null; lastEventId: string | null; status: number }[] = [];
  const impl: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // The client hands fetch a Request (openapi-fetch), whose headers travel inside it.
    const headers = new Headers(input instanceof Request ? input.headers : init?.headers);
    const entry = {
      path: url.pathname,
      ifNoneMatch: headers.get('if-none-match'),
      lastEventId: headers.get('last-event-id'),
      status: 0,
    };
    requests.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    return response;
  };
  return { requests, fetch: impl };
}

/** Waits until the provider holds `key` in this state (so events of earlier changes are behind us). */
async function holds(provider: FlaglineProvider, key: string, state: { enabled: boolean; rolloutPercentage: number }) {
  await waitFor(`${key} at ${JSON.stringify(state)} in the provider`, () => {
    const resolution = provider.resolveBoolean(key, false, {});
    return (
      resolution.errorCode === undefined &&
      (resolution.reason === 'DISABLED') === !state.enabled &&
      resolution.flagMetadata?.rolloutPercentage === state.rolloutPercentage
    );
  });
}

async function sseConnections(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('flagline_sse_connections '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

const FAST: Partial<FlaglineProviderOptions> = { reconnectMs: 50, maxReconnectMs: 400, pollIntervalMs: 60_000 };

// Real servers and processes on a machine that may be busy: generous per-test time, tight assertions.
vi.setConfig({ testTimeout: 90_000 });

let server: TestServer;
let token: string;
/** Flags for the equality check: every rollout step and some overrides. */
const spread: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ SSE_HEARTBEAT_MS: '1000' });
  token = await server.clientToken();
  await createFlag(server.admin, 'on-flag', { enabled: true, rolloutPercentage: 100 });
  await createFlag(server.admin, 'off-flag', { enabled: false, rolloutPercentage: 100 });
  await createFlag(server.admin, 'zero-flag', { enabled: true, rolloutPercentage: 0 });
  await createFlag(
    server.admin,
    'half-flag',
    { enabled: true, rolloutPercentage: 50 },
    { include: ['vip'], exclude: ['banned'] },
  );
  for (let i = 0; i < 12; i++) {
    const key = `spread-${i}`;
    spread.push(key);
    await createFlag(
      server.admin,
      key,
      { enabled: i !== 5, rolloutPercentage: (i * 9) % 101 },
      i % 3 === 0 ? { include: [`user-${i}`, 'user-100'], exclude: [`user-${i + 1}`] } : {},
    );
  }
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await server?.close();
});

describe('FlaglineProvider through the OpenFeature SDK: evaluation', () => {
  let provider: FlaglineProvider;
  let client: Client;
  let events: Recorded[];

  beforeAll(async () => {
    provider = new FlaglineProvider({ url: server.url, token, ...FAST });
    client = OpenFeature.getClient('evaluation');
    events = record(client);
    await OpenFeature.setProviderAndWait('evaluation', provider);
  });

  afterAll(async () => {
    await OpenFeature.clearProviders();
  });

  it('Requirement 2.1.1 (provider metadata name) and 1.1.5 (the API exposes the provider metadata)', () => {
    expect(provider.metadata.name).toBe('flagline');
    expect(OpenFeature.getProviderMetadata('evaluation').name).toBe('flagline');
    expect(client.metadata.providerMetadata.name).toBe('flagline');
  });

  it('Requirements 1.7.1, 1.7.3 and 5.3.1: provider status READY after initialize, PROVIDER_READY handlers ran', () => {
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(events.filter((event) => event.type === ProviderEvents.Ready)).toHaveLength(1);
    expect(events[0]?.providerName).toBe('flagline');
    expect(provider.rulesetVersion).toBeGreaterThan(0);
  });

  it('Requirement 5.3.3: a PROVIDER_READY handler attached after the provider is ready runs immediately', () => {
    let ran = 0;
    client.addHandler(ProviderEvents.Ready, () => {
      ran++;
    });
    expect(ran).toBe(1);
  });

  it('Requirements 2.2.1 and 2.2.3: resolves a boolean flag to its value for the evaluation context', async () => {
    expect(await client.getBooleanValue('on-flag', false)).toBe(true);
    expect(await client.getBooleanValue('off-flag', true)).toBe(false);
    expect(await client.getBooleanValue('zero-flag', true, { targetingKey: 'anyone' })).toBe(false);
    expect(await client.getBooleanValue('half-flag', false, { targetingKey: 'vip' })).toBe(true);
    expect(await client.getBooleanValue('half-flag', true, { targetingKey: 'banned' })).toBe(false);
    const direct = await provider.resolveBooleanEvaluation('on-flag', false, {});
    expect(direct.value).toBe(true);
  });

  it('Requirements 2.2.3, 2.2.4, 2.2.5, 1.4.6 and 1.4.7: reason and variant for every evaluation path', async () => {
    const cases: [string, string | undefined, boolean, string][] = [
      ['on-flag', 'u1', true, 'STATIC'],
      ['off-flag', 'u1', false, 'DISABLED'],
      ['off-flag', 'vip', false, 'DISABLED'],
      ['zero-flag', 'u1', false, 'STATIC'],
      ['half-flag', 'vip', true, 'TARGETING_MATCH'],
      ['half-flag', 'banned', false, 'TARGETING_MATCH'],
      ['half-flag', undefined, false, 'DEFAULT'],
    ];
    for (const [key, targetingKey, value, reason] of cases) {
      const details = await client.getBooleanDetails(key, !value, targetingKey ? { targetingKey } : {});
      expect({ key, targetingKey, ...details }).toMatchObject({
        key,
        targetingKey,
        flagKey: key,
        value,
        reason,
        variant: value ? 'on' : 'off',
      });
    }
    const split = await client.getBooleanDetails('half-flag', false, { targetingKey: 'someone-else' });
    expect(split.reason).toBe('SPLIT');
    expect(split.variant).toBe(split.value ? 'on' : 'off');
  });

  it('Requirements 2.2.6 and 2.3.2: normal execution sets neither an error code nor an error message', async () => {
    const resolution = provider.resolveBoolean('half-flag', false, { targetingKey: 'someone' });
    expect(resolution.errorCode).toBeUndefined();
    expect(resolution.errorMessage).toBeUndefined();
    const details = await client.getBooleanDetails('half-flag', false, { targetingKey: 'someone' });
    expect(details.errorCode).toBeUndefined();
    expect(details.errorMessage).toBeUndefined();
  });

  it('Requirements 2.2.9, 2.2.10 and 1.4.14: flag metadata (rolloutPercentage, a number) reaches the application', async () => {
    const details = await client.getBooleanDetails('half-flag', false, { targetingKey: 'someone' });
    expect(details.flagMetadata).toEqual({ rolloutPercentage: 50 });
  });

  it('Requirements 2.2.7, 1.4.8, 1.4.9 and 1.4.10: FLAG_NOT_FOUND returns the default with errorCode and reason ERROR', async () => {
    for (const fallback of [true, false]) {
      const details = await client.getBooleanDetails('no-such-flag', fallback, { targetingKey: 'u1' });
      expect(details).toMatchObject({
        flagKey: 'no-such-flag',
        value: fallback,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
      });
      expect(details.errorMessage).toContain('no-such-flag');
      expect(await client.getBooleanValue('no-such-flag', fallback)).toBe(fallback);
    }
  });

  it('Requirements 2.2.2.1 and 2.2.7: TYPE_MISMATCH for string, number and object evaluation of a boolean flag', async () => {
    const text = await client.getStringDetails('on-flag', 'fallback');
    expect(text).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    const number = await client.getNumberDetails('on-flag', 42);
    expect(number).toMatchObject({ value: 42, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    const object = await client.getObjectDetails('on-flag', { fallback: true });
    expect(object).toMatchObject({ value: { fallback: true }, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    // A flag that does not exist is FLAG_NOT_FOUND whatever the requested type.
    const missing = await client.getStringDetails('no-such-flag', 'fallback');
    expect(missing).toMatchObject({ value: 'fallback', errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  it("local evaluation equals the server's GET /api/config/flags for 300 users and the anonymous caller", async () => {
    const keys = ['on-flag', 'off-flag', 'zero-flag', 'half-flag', ...spread];
    const users = [undefined, 'vip', 'banned', ...Array.from({ length: 300 }, (_, i) => `user-${i}`)];
    let splitOn = 0;
    for (const userId of users) {
      const query = userId === undefined ? '' : `?userId=${encodeURIComponent(userId)}`;
      const response = await fetch(`${server.url}/api/config/flags${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const expected = (await response.json()) as Record<string, boolean>;
      const context: EvaluationContext = userId === undefined ? {} : { targetingKey: userId };
      const local = Object.fromEntries(keys.map((key) => [key, provider.resolveBoolean(key, false, context).value]));
      expect({ userId, flags: local }).toEqual({
        userId,
        flags: Object.fromEntries(keys.map((k) => [k, expected[k]])),
      });
      if (local['half-flag']) splitOn++;
    }
    // The 50 % rollout really splits (and through the OpenFeature client too).
    expect(splitOn).toBeGreaterThan(100);
    expect(splitOn).toBeLessThan(200);
    for (const userId of ['user-1', 'user-2', 'user-3']) {
      expect(await client.getBooleanValue('spread-4', false, { targetingKey: userId })).toBe(
        provider.resolveBoolean('spread-4', false, { targetingKey: userId }).value,
      );
    }
  });

  it('Requirements 5.1.1, 5.1.2 and 5.2.3: PROVIDER_CONFIGURATION_CHANGED carries flagsChanged after a PATCH', async () => {
    await createFlag(server.admin, 'live-flag', { enabled: false, rolloutPercentage: 100 });
    await holds(provider, 'live-flag', { enabled: false, rolloutPercentage: 100 });
    await sleep(50);
    const from = events.length;
    const globalChanges: string[][] = [];
    const globalHandler = (details?: EventDetails) => {
      if (details?.domain === 'evaluation') globalChanges.push(flagsChangedOf(details));
    };
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, globalHandler);
    try {
      await server.admin.updateFlag('live-flag', { enabled: true });
      const index = await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('live-flag'));
      expect(events[index]).toMatchObject({
        providerName: 'flagline',
        domain: 'evaluation',
        flagsChanged: ['live-flag'],
      });
      expect(await client.getBooleanValue('live-flag', false)).toBe(true);
      expect(globalChanges).toContainEqual(['live-flag']);
      // 5.3.5: a configuration change does not change the provider's status.
      expect(client.providerStatus).toBe(ProviderStatus.READY);
    } finally {
      OpenFeature.removeHandler(ProviderEvents.ConfigurationChanged, globalHandler);
    }
  });

  it('an override reaches the provider through the stream: the user flips to TARGETING_MATCH', async () => {
    const user = 'override-target';
    expect((await client.getBooleanDetails('zero-flag', false, { targetingKey: user })).value).toBe(false);
    const from = events.length;
    await server.admin.setOverride('zero-flag', { userId: user, overrideType: 'include' });
    const added = await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('zero-flag'));
    const details = await client.getBooleanDetails('zero-flag', false, { targetingKey: user });
    expect(details).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    await server.admin.removeOverride('zero-flag', user);
    await nextEvent(events, ProviderEvents.ConfigurationChanged, added + 1, changedIncludes('zero-flag'));
    expect(await client.getBooleanValue('zero-flag', true, { targetingKey: user })).toBe(false);
  });

  it('a deleted flag is announced in flagsChanged and then evaluates to FLAG_NOT_FOUND', async () => {
    await createFlag(server.admin, 'doomed-flag', { enabled: true, rolloutPercentage: 100 });
    await waitFor('doomed-flag locally', () => provider.resolveBoolean('doomed-flag', false, {}).value);
    const from = events.length;
    await server.admin.deleteFlag('doomed-flag');
    await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('doomed-flag'));
    const details = await client.getBooleanDetails('doomed-flag', true);
    expect(details).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  it('Requirement 5.1.3: handlers of a client bound to another provider do not run', async () => {
    // A second provider that only polls, rarely: it must not see the first one's events.
    const other = new FlaglineProvider({ url: server.url, token, streaming: false, pollIntervalMs: 60_000 });
    const otherClient = OpenFeature.getClient('isolated');
    await OpenFeature.setProviderAndWait('isolated', other);
    const otherEvents = record(otherClient);
    await holds(provider, 'live-flag', { enabled: true, rolloutPercentage: 100 });
    const from = events.length;
    await server.admin.updateFlag('live-flag', { rolloutPercentage: 30 });
    await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('live-flag'));
    await sleep(100);
    expect(otherEvents.map((event) => event.type)).toEqual([ProviderEvents.Ready]); // 5.3.3's immediate run only
  });
});

describe('FlaglineProvider: connection lifecycle and status', () => {
  afterEach(async () => {
    await OpenFeature.clearProviders();
  });

  it('Requirement 5.3.5: PROVIDER_STALE when the stream drops, PROVIDER_READY when it returns; a change made meanwhile is resumed with Last-Event-ID', async () => {
    const proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.start();
    try {
      const recorder = recordingFetch();
      const provider = new FlaglineProvider({ url: proxy.url, token, ...FAST, fetch: recorder.fetch });
      const client = OpenFeature.getClient('stale');
      const events = record(client);
      await OpenFeature.setProviderAndWait('stale', provider);
      await waitFor('the stream to connect', () => recorder.requests.some((r) => r.path === '/api/client/stream'));
      await sleep(50);
      const versionBefore = provider.rulesetVersion;

      await proxy.stop();
      const stale = await nextEvent(events, ProviderEvents.Stale);
      expect(client.providerStatus).toBe(ProviderStatus.STALE);
      expect(events[stale]?.message).toMatch(/stream/i);
      // While stale, the last known ruleset keeps answering.
      expect(await client.getBooleanValue('on-flag', false)).toBe(true);

      await server.admin.updateFlag('spread-7', { rolloutPercentage: 77 });
      const streamRequests = recorder.requests.filter((r) => r.path === '/api/client/stream').length;
      await proxy.start();
      await nextEvent(events, ProviderEvents.Ready, stale);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      const changed = await nextEvent(events, ProviderEvents.ConfigurationChanged, stale, changedIncludes('spread-7'));
      expect(events[changed]?.flagsChanged).toEqual(['spread-7']);
      const reconnect = recorder.requests.filter((r) => r.path === '/api/client/stream').slice(streamRequests);
      expect(reconnect.find((r) => r.status === 200)?.lastEventId).toBe(String(versionBefore));
      expect(provider.rulesetVersion).toBeGreaterThan(versionBefore);
    } finally {
      await proxy.stop();
    }
  });

  it('Requirement 5.3.5 across a real server restart: STALE while it is down, READY and current after it returns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flagline-sdk-restart-'));
    const port = await freePort();
    const env = { FLAGLINE_DATA_DIR: dataDir, PORT: String(port) };
    let restartable = await startTestServer(env);
    try {
      await createFlag(restartable.admin, 'restart-flag', { enabled: true, rolloutPercentage: 100 });
      const restartToken = await restartable.clientToken();
      const provider = new FlaglineProvider({ url: restartable.url, token: restartToken, ...FAST });
      const client = OpenFeature.getClient('restart');
      const events = record(client);
      await OpenFeature.setProviderAndWait('restart', provider);

      await restartable.close();
      const stale = await nextEvent(events, ProviderEvents.Stale);
      expect(client.providerStatus).toBe(ProviderStatus.STALE);
      expect(await client.getBooleanValue('restart-flag', false)).toBe(true);

      restartable = await startTestServer(env);
      await nextEvent(events, ProviderEvents.Ready, stale, () => true, 60_000);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      const from = events.length;
      await restartable.admin.updateFlag('restart-flag', { enabled: false });
      await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('restart-flag'));
      expect(await client.getBooleanValue('restart-flag', true)).toBe(false);
    } finally {
      await OpenFeature.clearProviders();
      await restartable.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('Requirements 1.7.4, 5.3.2 and 1.4.10: ERROR when the server is unreachable, defaults instead of exceptions, READY once it is up', async () => {
    // The application starts while Flagline is unreachable: a proxy port with nothing listening yet.
    const proxy = new TcpProxy(Number(new URL(server.url).port), await freePort());
    try {
      // Setting a provider is configuration (1.4.10 allows it to throw): the awaited variant reports the failure…
      const probe = new FlaglineProvider({ url: proxy.url, token, ...FAST });
      await expect(OpenFeature.setProviderAndWait('unreachable-probe', probe)).rejects.toThrow(/Could not reach/);
      expect(OpenFeature.getClient('unreachable-probe').providerStatus).toBe(ProviderStatus.ERROR);

      // …and the application, which sets it without waiting, never sees an exception.
      const provider = new FlaglineProvider({ url: proxy.url, token, ...FAST, pollIntervalMs: 100 });
      const client = OpenFeature.getClient('unreachable');
      const events = record(client);
      expect(() => OpenFeature.setProvider('unreachable', provider)).not.toThrow();
      const error = await nextEvent(events, ProviderEvents.Error);
      expect(client.providerStatus).toBe(ProviderStatus.ERROR);
      expect(events[error]?.message).toBeTruthy(); // 5.1.4
      const details = await client.getBooleanDetails('on-flag', false, { targetingKey: 'u1' });
      expect(details).toMatchObject({ value: false, reason: 'ERROR' });
      expect(details.errorCode).toBeDefined();
      expect(await client.getBooleanValue('on-flag', false)).toBe(false);

      // A provider keeping a connection may recover and announce PROVIDER_READY (5.3.2): with its flags loaded.
      await proxy.start();
      const ready = await nextEvent(events, ProviderEvents.Ready, error);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
      expect(await client.getBooleanDetails('on-flag', false)).toMatchObject({ value: true, reason: 'STATIC' });
      // The first ruleset is announced as a change to every flag, before READY.
      const loaded = events.findIndex((event, i) => i > error && event.type === ProviderEvents.ConfigurationChanged);
      expect(loaded).toBeGreaterThan(error);
      expect(loaded).toBeLessThan(ready);
      expect(events[loaded]?.flagsChanged).toContain('on-flag');
    } finally {
      await OpenFeature.clearProviders();
      await proxy.stop();
    }
  });

  it('ETag polling fallback (streaming: false): conditional requests, 304 when unchanged, changes announced', async () => {
    const recorder = recordingFetch();
    const provider = new FlaglineProvider({
      url: server.url,
      token,
      streaming: false,
      pollIntervalMs: 100,
      fetch: recorder.fetch,
    });
    const client = OpenFeature.getClient('polling');
    const events = record(client);
    await OpenFeature.setProviderAndWait('polling', provider);
    await waitFor('three 304 answers', () => recorder.requests.filter((r) => r.status === 304).length >= 3);
    expect(recorder.requests.some((r) => r.path === '/api/client/stream')).toBe(false);
    const polls = recorder.requests.filter((r) => r.path === '/api/client/flags');
    expect(polls[0]?.ifNoneMatch).toBeNull();
    expect(polls.slice(1).every((r) => r.ifNoneMatch?.startsWith('"'))).toBe(true);

    const from = events.length;
    await server.admin.updateFlag('spread-2', { rolloutPercentage: 62 });
    const changed = await nextEvent(events, ProviderEvents.ConfigurationChanged, from, changedIncludes('spread-2'));
    expect(events[changed]?.flagsChanged).toEqual(['spread-2']);
    expect(provider.resolveBoolean('spread-2', false, {}).flagMetadata).toEqual({ rolloutPercentage: 62 });
    expect(recorder.requests.some((r) => r.status === 200 && r.ifNoneMatch !== null)).toBe(true);
  });

  it('Requirement 5.3.5 while polling: PROVIDER_ERROR when a poll fails, PROVIDER_READY when polling works again', async () => {
    const proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.start();
    try {
      const provider = new FlaglineProvider({ url: proxy.url, token, streaming: false, pollIntervalMs: 50 });
      const client = OpenFeature.getClient('polling-errors');
      const events = record(client);
      await OpenFeature.setProviderAndWait('polling-errors', provider);
      await proxy.stop();
      const error = await nextEvent(events, ProviderEvents.Error);
      expect(client.providerStatus).toBe(ProviderStatus.ERROR);
      expect(await client.getBooleanValue('on-flag', false)).toBe(true); // last known ruleset still answers
      await proxy.start();
      await nextEvent(events, ProviderEvents.Ready, error);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
    } finally {
      await proxy.stop();
    }
  });

  it('Requirements 2.5.1 and 1.6.1: shutdown closes the stream, and returns promptly even while reconnecting', async () => {
    const before = await sseConnections(server.url);
    const provider = new FlaglineProvider({ url: server.url, token, ...FAST });
    await OpenFeature.setProviderAndWait('shutdown', provider);
    await waitFor('the stream to be counted', async () => (await sseConnections(server.url)) === before + 1);
    await OpenFeature.clearProviders();
    await waitFor('the stream to close', async () => (await sseConnections(server.url)) === before);

    // Stream lost, long backoff: closing must not wait for the next reconnect attempt.
    const proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.start();
    try {
      const stuck = new FlaglineProvider({ url: proxy.url, token, reconnectMs: 30_000, maxReconnectMs: 30_000 });
      const events = record(OpenFeature.getClient('shutdown-stuck'));
      await OpenFeature.setProviderAndWait('shutdown-stuck', stuck);
      await proxy.stop();
      await nextEvent(events, ProviderEvents.Stale);
    } finally {
      await proxy.stop();
    }
    const started = performance.now();
    await OpenFeature.clearProviders();
    expect(performance.now() - started).toBeLessThan(5_000); // the backoff is 30 s
  });
});

describe('the delivery routes the provider relies on', () => {
  it('the stream starts with a snapshot event whose id is the config version', async () => {
    const ruleset = (await (
      await fetch(`${server.url}/api/client/flags`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Ruleset;
    const stream = await EventStream.open(server.url, token);
    try {
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
      const first = await stream.next();
      expect(first.event).toBe('snapshot');
      expect(first.id).toBe(String(ruleset.version));
      expect(JSON.parse(first.data)).toEqual(ruleset);
    } finally {
      stream.close();
    }
  });

  it('change events carry {version, changed, deleted} with increasing ids', async () => {
    const stream = await EventStream.open(server.url, token);
    try {
      const snapshot = await stream.next();
      await server.admin.updateFlag('spread-1', { rolloutPercentage: 11 });
      await createFlag(server.admin, 'sse-temp', { enabled: true, rolloutPercentage: 100 });
      await server.admin.deleteFlag('sse-temp');
      const changes = [];
      while (changes.length < 4) changes.push(await stream.next());
      expect(changes.every((event) => event.event === 'change')).toBe(true);
      const ids = changes.map((event) => Number(event.id));
      expect(ids[0]).toBeGreaterThan(Number(snapshot.id));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const bodies = changes.map(
        (event) => JSON.parse(event.data) as { version: number; changed: { key: string }[]; deleted: string[] },
      );
      expect(bodies[0]).toMatchObject({ version: ids[0], deleted: [] });
      expect(bodies[0]?.changed.map((flag) => flag.key)).toEqual(['spread-1']);
      expect(bodies.at(-1)).toMatchObject({ changed: [], deleted: ['sse-temp'] });
    } finally {
      stream.close();
    }
  });

  it('Last-Event-ID resumes with only the missed change events, no snapshot', async () => {
    const first = await EventStream.open(server.url, token);
    const snapshot = await first.next();
    first.close();
    await server.admin.updateFlag('spread-3', { rolloutPercentage: 33 });
    await server.admin.updateFlag('spread-4', { rolloutPercentage: 44 });
    const resumed = await EventStream.open(server.url, token, { 'last-event-id': String(snapshot.id) });
    try {
      const a = await resumed.next();
      const b = await resumed.next();
      expect([a.event, b.event]).toEqual(['change', 'change']);
      expect([a, b].map((event) => (JSON.parse(event.data) as { changed: { key: string }[] }).changed[0]?.key)).toEqual(
        ['spread-3', 'spread-4'],
      );
      expect(Number(a.id)).toBeGreaterThan(Number(snapshot.id));
      await resumed.expectQuiet(300);
    } finally {
      resumed.close();
    }
  });

  it('Last-Event-ID at the current version sends nothing; an unknown one gets a full snapshot', async () => {
    const current = await EventStream.open(server.url, token);
    const snapshot = await current.next();
    current.close();
    const upToDate = await EventStream.open(server.url, token, { 'last-event-id': String(snapshot.id) });
    try {
      await upToDate.expectQuiet(300);
    } finally {
      upToDate.close();
    }
    for (const unknown of ['999999999', '-3', 'garbage']) {
      const stream = await EventStream.open(server.url, token, { 'last-event-id': unknown });
      try {
        const event = await stream.next();
        expect({ unknown, event: event.event, id: event.id }).toEqual({ unknown, event: 'snapshot', id: snapshot.id });
      } finally {
        stream.close();
      }
    }
  });

  it('an idle stream sends heartbeat comments every SSE_HEARTBEAT_MS', async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/client/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    try {
      const reader = response.body?.getReader();
      if (!reader) throw new Error('no body');
      const decoder = new TextDecoder();
      let text = '';
      const started = performance.now();
      while ((text.match(/^: heartbeat$/gm) ?? []).length < 2) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
      // SSE_HEARTBEAT_MS is 1000 here: two heartbeats take about two seconds.
      expect(performance.now() - started).toBeGreaterThan(1_500);
    } finally {
      abort.abort();
    }
  });

  it('the stream requires a token', async () => {
    const anonymous = await fetch(`${server.url}/api/client/stream`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });

  it('GET /api/client/flags: ETag, 304 for If-None-Match (also weak or in a list), a new ETag after a change', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const first = await fetch(`${server.url}/api/client/flags`, { headers });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    await first.body?.cancel();
    for (const ifNoneMatch of [etag ?? '', `W/${etag}`, `"other", ${etag}`]) {
      const again = await fetch(`${server.url}/api/client/flags`, {
        headers: { ...headers, 'if-none-match': ifNoneMatch },
      });
      expect({ ifNoneMatch, status: again.status }).toEqual({ ifNoneMatch, status: 304 });
      expect(await again.text()).toBe('');
    }
    await server.admin.updateFlag('spread-6', { rolloutPercentage: 66 });
    const changed = await fetch(`${server.url}/api/client/flags`, {
      headers: { ...headers, 'if-none-match': etag ?? '' },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(((await changed.json()) as Ruleset).flags.find((flag) => flag.key === 'spread-6')?.rolloutPercentage).toBe(
      66,
    );
  });

  it('OFREP bulk evaluation: ETag per ruleset and context, 304 when unchanged', async () => {
    const post = (targetingKey: string, ifNoneMatch?: string) =>
      fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}),
        },
        body: JSON.stringify({ context: { targetingKey } }),
      });
    const first = await post('user-1');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    const body = (await first.json()) as { flags: { key: string; value: boolean }[] };
    expect(body.flags.find((flag) => flag.key === 'on-flag')?.value).toBe(true);
    const same = await post('user-1', etag);
    expect(same.status).toBe(304);
    const otherUser = await post('user-2', etag);
    expect(otherUser.status).toBe(200);
    expect(otherUser.headers.get('etag')).not.toBe(etag);
    await otherUser.body?.cancel();
    await server.admin.updateFlag('spread-8', { rolloutPercentage: 88 });
    const afterChange = await post('user-1', etag);
    expect(afterChange.status).toBe(200);
    await afterChange.body?.cancel();
  });
});

/**
 * Delivery across processes on one PostgreSQL: two `flagline serve` instances (A and B, scheduler off) and a separate
 * `flagline worker`. An application's provider follows B; changes are made through A or applied by the worker.
 * The instances' version poll is set to a minute, so what arrives within seconds came through LISTEN/NOTIFY.
 */

const PG_ADMIN_TOKEN = 'sdk-two-instances-admin-token-0123456789';

describe.each(postgresBackends())('%s: a change reaches a provider on another instance', () => {
  let drop: (() => Promise<void>) | undefined;
  let a: StartedServer;
  let b: StartedServer;
  let worker: FlaglineProcess;
  let admin: FlaglineClient;
  let provider: FlaglineProvider;
  let client: Client;
  const changes: { at: number; flagsChanged: string[] }[] = [];

  beforeAll(async () => {
    const database = await createPostgresDatabase();
    drop = database.drop;
    const serveEnv = {
      DATABASE_URL: database.url,
      FLAGLINE_ADMIN_TOKEN: PG_ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
      SNAPSHOT_POLL_MS: '60000',
    };
    a = await startServe(serveEnv); // migrates the fresh database first
    worker = spawnFlagline(['worker'], { DATABASE_URL: database.url });
    b = await startServe(serveEnv);
    admin = new FlaglineClient({ url: a.url, token: PG_ADMIN_TOKEN });
    await admin.createFlag({ key: 'cross-flag' });
    await admin.updateFlag('cross-flag', { enabled: true, rolloutPercentage: 100 });
    await admin.createFlag({ key: 'scheduled-flag' });
    await admin.updateFlag('scheduled-flag', { enabled: true, rolloutPercentage: 100 });
    const token = (await admin.createToken({ name: 'app on B', role: 'client', environment: 'production' })).secret;

    provider = new FlaglineProvider({ url: b.url, token, reconnectMs: 100, maxReconnectMs: 1_000 });
    client = OpenFeature.getClient('instance-b');
    client.addHandler(ProviderEvents.ConfigurationChanged, (details?: EventDetails) => {
      changes.push({ at: performance.now(), flagsChanged: flagsChangedOf(details) });
    });
    await OpenFeature.setProviderAndWait('instance-b', provider);
  }, 180_000);

  afterAll(async () => {
    await OpenFeature.close();
    await killAllFlaglines();
    await drop?.();
  });

  const changedAfter = (from: number, key: string) =>
    waitFor(`PROVIDER_CONFIGURATION_CHANGED for ${key}`, () =>
      changes.slice(from).find((change) => change.flagsChanged.includes(key)),
    );

  it('a PATCH through A reaches the provider connected to B', async () => {
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanValue('cross-flag', false)).toBe(true);
    const from = changes.length;
    await admin.updateFlag('cross-flag', { enabled: false });
    const committed = performance.now();
    const change = await changedAfter(from, 'cross-flag');
    expect(change.at - committed).toBeLessThan(5_000);
    expect(await client.getBooleanDetails('cross-flag', true)).toMatchObject({ value: false, reason: 'DISABLED' });
  });

  it('an override set through A reaches the provider connected to B', async () => {
    await admin.updateFlag('cross-flag', { enabled: true, rolloutPercentage: 0 });
    await waitFor('cross-flag on again', () => provider.resolveBoolean('cross-flag', false, {}).reason === 'STATIC');
    const from = changes.length;
    await admin.setOverride('cross-flag', { userId: 'tester', overrideType: 'include' });
    await changedAfter(from, 'cross-flag');
    expect(await client.getBooleanDetails('cross-flag', false, { targetingKey: 'tester' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
  });

  it('a schedule created through A and applied by the worker process reaches the provider on B', async () => {
    expect(await client.getBooleanValue('scheduled-flag', false, { targetingKey: 'u1' })).toBe(true);
    const from = changes.length;
    const scheduledAt = new Date(Date.now() + 1_000);
    const schedule = await admin.createSchedule('scheduled-flag', {
      scheduledAt: scheduledAt.toISOString(),
      updates: { enabled: false },
    });
    const change = await changedAfter(from, 'scheduled-flag');
    const lateMs = performance.timeOrigin + change.at - scheduledAt.getTime();
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(10_000);
    expect(await client.getBooleanDetails('scheduled-flag', true, { targetingKey: 'u1' })).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
    // Only the worker runs the scheduler here: it applied it.
    expect(worker.hasExited()).toBe(false);
    expect((await admin.getSchedule('scheduled-flag', schedule.id)).status).toBe('applied');
  }, 30_000);

  it("after all that, B's provider evaluates exactly as B's own /api/config/flags", async () => {
    const token = (await admin.createToken({ name: 'check', role: 'client', environment: 'production' })).secret;
    for (const userId of ['tester', 'u1', 'u2', 'someone']) {
      const response = await fetch(`${b.url}/api/config/flags?userId=${userId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const expected = (await response.json()) as Record<string, boolean>;
      for (const key of ['cross-flag', 'scheduled-flag']) {
        expect({
          userId,
          key,
          value: provider.resolveBoolean(key, !expected[key], { targetingKey: userId }).value,
        }).toEqual({ userId, key, value: expected[key] });
      }
    }
  });
});
