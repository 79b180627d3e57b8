import type { Segment } from '@flagline/core';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { type Client, ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../server/test/helpers/app';
import { listenOnLoopback } from '../../server/test/helpers/http';
import { writeSegment, writeTypedFlag } from '../../server/test/helpers/targeting';
import { FlaglineProvider } from '../src/provider';
import { waitFor } from './helpers/util';

/**
 * Typed flags through both OpenFeature paths against one server: the unmodified @openfeature/ofrep-provider
 * (remote, OFREP) and Flagline's own provider (local, the same engine), for boolean, string, number and object flags.
 */

const BETA: Segment = {
  key: 'beta-testers',
  name: 'Beta testers',
  description: '',
  constraints: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'], caseInsensitive: true }],
};

let t: TestApp;
let server: { url: string; close(): Promise<void> };
let remote: Client;
let local: Client;
let provider: FlaglineProvider;

beforeAll(async () => {
  t = await createTestApp('pglite', { SSE_HEARTBEAT_MS: '1000' });
  server = await listenOnLoopback(t.app);
  await writeSegment(t, BETA);
  await writeTypedFlag(t, {
    key: 'new-search',
    type: 'boolean',
    variants: [],
    targeting: {
      enabled: true,
      rolloutPercentage: 0,
      rules: [{ id: 'beta', constraints: [], segments: ['beta-testers'], serve: { variant: 'on' } }],
    },
  });
  await writeTypedFlag(t, {
    key: 'greeting',
    type: 'string',
    variants: [
      { key: 'hello', value: 'Hello' },
      { key: 'hallo', value: 'Hallo' },
    ],
    targeting: {
      enabled: true,
      offVariant: 'hello',
      rules: [
        {
          id: 'german',
          constraints: [{ attribute: 'country', operator: 'IN', values: ['de', 'at'], caseInsensitive: true }],
          segments: [],
          serve: { variant: 'hallo' },
        },
      ],
      fallthrough: { variant: 'hello' },
    },
  });
  await writeTypedFlag(t, {
    key: 'page-size',
    type: 'number',
    variants: [
      { key: 'small', value: 10 },
      { key: 'large', value: 50 },
    ],
    targeting: {
      enabled: true,
      offVariant: 'small',
      rules: [
        {
          id: 'big-screens',
          constraints: [{ attribute: 'screen.width', operator: 'NUM_GTE', values: ['1200'] }],
          segments: [],
          serve: { variant: 'large' },
        },
      ],
      fallthrough: { variant: 'small' },
    },
  });
  await writeTypedFlag(t, {
    key: 'theme',
    type: 'json',
    variants: [
      { key: 'light', value: { background: '#fff', accent: 'blue' } },
      { key: 'dark', value: { background: '#000', accent: 'orange' } },
    ],
    targeting: {
      enabled: true,
      offVariant: 'light',
      rules: [],
      fallthrough: {
        split: {
          variants: [
            { variant: 'light', weight: 500 },
            { variant: 'dark', weight: 500 },
          ],
        },
      },
    },
  });
  const token = t.tokens.client;
  await OpenFeature.setProviderAndWait(
    'typed-remote',
    new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${token}`]] }),
  );
  remote = OpenFeature.getClient('typed-remote');
  provider = new FlaglineProvider({ url: server.url, token });
  await OpenFeature.setProviderAndWait('typed-local', provider);
  local = OpenFeature.getClient('typed-local');
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await server?.close();
  await t?.close();
});

describe.each([
  ['the unmodified OFREP provider', () => remote],
  ["Flagline's provider (local evaluation)", () => local],
])('%s evaluates every type with the whole context', (_name, client) => {
  it('boolean: a rule on a segment', async () => {
    expect(
      await client().getBooleanDetails('new-search', false, { targetingKey: 'a', email: 'Ann@EXAMPLE.com' }),
    ).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { ruleId: 'beta' } });
    expect(
      await client().getBooleanDetails('new-search', true, { targetingKey: 'b', email: 'bob@elsewhere.org' }),
    ).toMatchObject({ value: false, variant: 'off', reason: 'STATIC' });
  });

  it('string: a case-insensitive IN rule', async () => {
    expect(await client().getStringDetails('greeting', 'x', { targetingKey: 'a', country: 'DE' })).toMatchObject({
      value: 'Hallo',
      variant: 'hallo',
      reason: 'TARGETING_MATCH',
    });
    expect(await client().getStringDetails('greeting', 'x', { targetingKey: 'a', country: 'FR' })).toMatchObject({
      value: 'Hello',
      variant: 'hello',
      reason: 'DEFAULT',
    });
  });

  it('number: a NUM_GTE rule on a nested attribute', async () => {
    expect(await client().getNumberValue('page-size', 0, { targetingKey: 'a', screen: { width: 1440 } })).toBe(50);
    expect(await client().getNumberValue('page-size', 0, { targetingKey: 'a', screen: { width: 800 } })).toBe(10);
  });

  it('object: a sticky 50/50 split agreeing between the two paths', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const targetingKey = `user-${i}`;
      const details = await client().getObjectDetails('theme', {}, { targetingKey });
      expect(details.reason).toBe('SPLIT');
      seen.add(details.variant ?? '');
      const other = client() === remote ? local : remote;
      expect((await other.getObjectDetails('theme', {}, { targetingKey })).value).toEqual(details.value);
    }
    expect([...seen].sort()).toEqual(['dark', 'light']);
  });

  it('TYPE_MISMATCH when the method asks for another type', async () => {
    expect(await client().getNumberDetails('greeting', 7, { targetingKey: 'a' })).toMatchObject({
      value: 7,
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });
});

describe("Flagline's provider follows segment changes", () => {
  it('re-evaluates a flag when the segment it uses changes, and announces the flag', async () => {
    const context = { targetingKey: 'c', email: 'carol@partner.io' };
    expect(await local.getBooleanValue('new-search', true, context)).toBe(false);
    const announced: string[][] = [];
    local.addHandler(ProviderEvents.ConfigurationChanged, (details) => announced.push(details?.flagsChanged ?? []));
    await writeSegment(t, {
      ...BETA,
      constraints: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com', '@partner.io'] }],
    });
    await waitFor('the widened segment', () => local.getBooleanValue('new-search', false, context), 15_000);
    expect(announced.flat()).toContain('new-search');
  });

  it('follows a segment edited through the admin API (audited change → NOTIFY → snapshot → SSE)', async () => {
    const context = { targetingKey: 'd', email: 'dan@third.net' };
    expect(await local.getBooleanValue('new-search', true, context)).toBe(false);
    const response = await t.request('PUT', '/api/admin/segments/beta-testers', {
      body: {
        name: 'Beta testers',
        constraints: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@third.net'] }],
      },
    });
    expect(response.status).toBe(200);
    await waitFor('the edited segment', () => local.getBooleanValue('new-search', false, context), 15_000);
    // The remote path reads the same snapshot.
    expect(await remote.getBooleanValue('new-search', false, context)).toBe(true);
  });
});
