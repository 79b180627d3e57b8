import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluateFastPath } from '../../src/delivery/evaluate-fast-path';
import { evaluations, httpDuration } from '../../src/shared/metrics';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { expectStatus } from '../helpers/http';

/** An answer as the equivalence tests compare it: status, parsed JSON, and every header (lower-case) but Date. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

/** A request as raw bytes over node:http: what is compared is the transport itself, which a typed client would tidy. */
interface Probe {
  method: 'GET' | 'POST' | 'OPTIONS';
  /** Sent as it is: fragments, escapes and all. */
  path: string;
  headers: OutgoingHttpHeaders;
  /** Sent in one piece (Content-Length), or in two writes (chunked) when an array. */
  body?: string | [string, string];
}

function send(port: number, probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method: probe.method, path: probe.path, headers: probe.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: Record<string, string> = {};
          const raw = response.rawHeaders;
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i]?.toLowerCase() ?? '';
            if (name !== 'date') headers[name] = raw[i + 1] ?? '';
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers, json: text === '' ? undefined : JSON.parse(text) });
        });
      },
    );
    request.on('error', reject);
    if (Array.isArray(probe.body)) {
      request.write(probe.body[0]);
      request.end(probe.body[1]);
    } else {
      request.end(probe.body);
    }
  });
}

/** Request counts by method/route/status and evaluation counts by endpoint, as GET /metrics would report them. */
async function metricCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { metricName, labels, value } of (await httpDuration.get()).values) {
    if (metricName?.endsWith('_count')) counts.set(`http ${labels.method} ${labels.route} ${labels.status}`, value);
  }
  for (const { labels, value } of (await evaluations.get()).values) counts.set(`evaluations ${labels.endpoint}`, value);
  return counts;
}

function increase(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) result[key] = delta;
  }
  return result;
}

const ofrepBody = (targetingKey: string) => JSON.stringify({ context: { targetingKey } });

describe.each(testBackends())('the evaluation fast path answers as the Hono route does (%s)', (backend) => {
  let t: TestApp;
  let servers: Server[] = [];
  /** Hono alone: the reference. */
  let reference: number;
  /** The fast path, then Hono for whatever it leaves, as `flagline serve` wires them. */
  let served: number;
  /** Requests the fast path left to Hono. */
  let handedOver = 0;
  const json = { 'content-type': 'application/json' };
  const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'x-request-id': 'fixed-request-id' });

  /** Sends the probe to both servers and expects the same status, parsed JSON and headers. */
  async function expectSameAnswer(probe: Probe): Promise<Answer> {
    const expected = await send(reference, probe);
    const actual = await send(served, probe);
    expect({ probe, ...actual }).toEqual({ probe, ...expected });
    return actual;
  }

  /** Expects every probe answered alike, and by the fast path itself when `fast`, by Hono otherwise. */
  async function expectEquivalent(probes: Probe[], by: 'fast path' | 'Hono'): Promise<Answer[]> {
    const before = handedOver;
    const answers: Answer[] = [];
    for (const probe of probes) answers.push(await expectSameAnswer(probe));
    expect(handedOver - before).toBe(by === 'Hono' ? probes.length : 0);
    return answers;
  }

  const etagOf = (answer: Answer) => answer.headers.etag ?? '';

  beforeAll(async () => {
    t = await createTestApp(backend);
    const api = apiClient(t);
    for (let i = 0; i < 20; i++) {
      const flagKey = `fast-${i}`;
      const description = i === 2 ? 'quote " and ü' : '';
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: flagKey, description } })), 201);
      const state = { enabled: i % 4 !== 0, rolloutPercentage: i * 5 };
      const params = { path: { flagKey } };
      expectStatus(await answer(api.PATCH('/api/admin/flags/{flagKey}', { params, body: state })), 200);
    }
    for (const [flagKey, overrideType] of [
      ['fast-3', 'exclude'],
      ['fast-1', 'include'],
    ] as const) {
      const body = { userId: 'user-7', overrideType };
      const params = { path: { flagKey } };
      expectStatus(await answer(api.POST('/api/admin/flags/{flagKey}/users', { params, body })), 201);
    }
    const honoListener = getRequestListener(t.app.fetch);
    const general = (request: IncomingMessage, response: ServerResponse) => {
      handedOver++;
      void honoListener(request, response);
    };
    const fastPath = createEvaluateFastPath(t.deps.authenticator, t.deps.snapshot, t.deps.logger, general);
    const listen = async (server: Server) => {
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    reference = await listen(createServer(honoListener));
    served = await listen(
      createServer((request, response) => {
        if (!fastPath(request, response)) general(request, response);
      }),
    );
    // The route verifies a token first; from then on the fast path may answer for it.
    for (const token of Object.values(t.tokens)) await answer(apiClient(t, token).GET('/api/config/flags'));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
    await t?.close();
  });

  const readers = () =>
    [
      [t.tokens.client, 'production'],
      [t.tokens.developmentClient, 'development'],
      [t.tokens.admin, 'development'],
    ] as const;

  it('GET /api/config/flags: the fast path answers plain requests for known tokens, users and environments', async () => {
    const probes: Probe[] = [];
    for (const [token, environment] of readers()) {
      for (const query of [
        '',
        '?userId=',
        '?userId',
        ...Array.from({ length: 40 }, (_, i) => `?userId=user-${i}`),
        `?userId=u&environment=${environment}`,
        '?userId=a@b.example&other=1',
        `?userId=${'x'.repeat(255)}`,
        '?&userId=user-7&',
      ]) {
        probes.push({ method: 'GET', path: `/api/config/flags${query}`, headers: auth(token) });
      }
    }
    const answers = await expectEquivalent(probes, 'fast path');
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // No user: only the flags at 100 % are on (design §4); fast-0 is disabled.
    expect(Object.keys(answers[0]?.json ?? {})).toHaveLength(20);
    expect(answers[0]?.json).toMatchObject({ 'fast-0': false, 'fast-5': false });
  });

  it('GET /api/client/flags: the same ruleset, ETag and 304s from the fast path', async () => {
    const probes: Probe[] = [];
    for (const [token, environment] of readers()) {
      for (const query of ['', `?environment=${environment}`, '?userId=ignored']) {
        probes.push({ method: 'GET', path: `/api/client/flags${query}`, headers: auth(token) });
      }
    }
    const firsts = await expectEquivalent(probes, 'fast path');
    const revalidations: Probe[] = [];
    firsts.forEach((first, i) => {
      expect(first.status).toBe(200);
      expect(first.headers['cache-control']).toBe('no-cache');
      const etag = etagOf(first);
      expect(etag).toMatch(/^"[\w-]+"$/);
      for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`, '*', '"stale"']) {
        const probe = probes[i] as Probe;
        revalidations.push({ ...probe, headers: { ...probe.headers, 'if-none-match': ifNoneMatch } });
      }
    });
    const answers = await expectEquivalent(revalidations, 'fast path');
    expect(answers.map((answer) => answer.status)).toEqual(
      revalidations.map((probe) => (probe.headers['if-none-match'] === '"stale"' ? 200 : 304)),
    );
  });

  it('POST /ofrep/v1/evaluate/flags: the same evaluations, ETags and 304s for plain contexts', async () => {
    const bodies = [
      '{}',
      '{"context":{}}',
      ofrepBody(''),
      ...Array.from({ length: 40 }, (_, i) => ofrepBody(`user-${i}`)),
      ofrepBody('ü-user ✓'),
      ofrepBody('x'.repeat(255)),
      '{"context":{"targetingKey":"user-7","email":"a@b.example","plan":{"tier":2}},"other":true}',
      ' { "context" : { "targetingKey" : "user-3" } } ',
    ];
    const probes: Probe[] = [];
    for (const token of [t.tokens.client, t.tokens.developmentClient, t.tokens.admin]) {
      for (const body of bodies) {
        probes.push({ method: 'POST', path: '/ofrep/v1/evaluate/flags', headers: { ...auth(token), ...json }, body });
      }
    }
    probes.push({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags',
      headers: { ...auth(t.tokens.client), 'content-type': 'application/json; charset=UTF-8' },
      body: ofrepBody('user-1'),
    });
    const firsts = await expectEquivalent(probes, 'fast path');
    expect(firsts.every((answer) => answer.status === 200)).toBe(true);
    const revalidations = probes.map((probe, i) => ({
      ...probe,
      headers: { ...probe.headers, 'if-none-match': etagOf(firsts[i] as Answer) },
    }));
    const answers = await expectEquivalent(revalidations, 'fast path');
    expect(answers.every((answer) => answer.status === 304)).toBe(true);
  });

  it('leaves errors to the route: unknown or missing tokens (401), other environments (403), missing ones (404), bad input (400)', async () => {
    const admin = auth(t.tokens.admin);
    const client = auth(t.tokens.client);
    const probes: Probe[] = [
      { method: 'GET', path: '/api/config/flags?userId=u', headers: auth('fl_never_seen_token') },
      { method: 'GET', path: '/api/config/flags?userId=u', headers: { 'x-request-id': 'fixed-request-id' } },
      { method: 'GET', path: '/api/client/flags', headers: auth('fl_never_seen_token') },
      {
        method: 'POST',
        path: '/ofrep/v1/evaluate/flags',
        headers: { ...auth('fl_never_seen_token'), ...json },
        body: ofrepBody('u'),
      },
      { method: 'GET', path: '/api/config/flags?userId=u&environment=development', headers: client },
      { method: 'GET', path: '/api/client/flags?environment=development', headers: client },
      { method: 'GET', path: '/api/config/flags?environment=nowhere', headers: admin },
      { method: 'GET', path: '/api/client/flags?environment=nowhere', headers: admin },
      { method: 'GET', path: '/api/config/flags?environment=Not_An_Env', headers: admin },
      { method: 'GET', path: `/api/config/flags?userId=${'x'.repeat(256)}`, headers: admin },
      { method: 'GET', path: '/api/config/flags?userId=a&userId=b', headers: client },
      { method: 'GET', path: '/api/client/flags?environment=a&environment=b', headers: admin },
    ];
    const answers = await expectEquivalent(probes, 'Hono');
    expect(answers.map((answer) => answer.status)).toEqual([
      401, 401, 401, 401, 403, 403, 404, 404, 400, 400, 400, 400,
    ]);
    expect(answers[0]?.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(answers[4]?.json).toMatchObject({ error: 'FORBIDDEN', requestId: 'fixed-request-id' });
  });

  it('leaves requests outside its whitelist to the route: escapes, `+`, `#`, a Host that is not plain, repeated headers', async () => {
    const client = auth(t.tokens.client);
    const port = new URL(`http://127.0.0.1:${served}`).port;
    const probes: Probe[] = [
      { method: 'GET', path: '/api/config/flags?userId=a%40b.example', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=with+space', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=u#fragment', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=a%00b', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=%E0%A4%A', headers: client },
      { method: 'GET', path: '/api/client/flags?%00', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=u&other=1&other=2', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=u', headers: { ...client, host: `LocalHost:${port}` } },
      { method: 'GET', path: '/api/config/flags?userId=u', headers: { ...client, host: '999.1.1.1:65000' } },
      {
        method: 'GET',
        path: '/api/config/flags?userId=u',
        // Sent twice: Node keeps the first, the route sees both joined (and refuses them).
        headers: { ...client, Authorization: [`Bearer ${t.tokens.client}`, `Bearer ${t.tokens.admin}`] },
      },
      { method: 'GET', path: '/api/client/flags', headers: { ...client, 'If-None-Match': ['"a"', '"b"'] } },
    ];
    const answers = await expectEquivalent(probes, 'Hono');
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 400, 200, 400, 200, 200, 400, 401, 200]);
    expect(answers[0]?.json).toEqual(
      (await send(served, { method: 'GET', path: '/api/config/flags?userId=a@b.example', headers: client })).json,
    );
  });

  it('leaves OFREP bodies that are not plain to the route', async () => {
    const ofrep = (body: string | [string, string] | undefined, headers: OutgoingHttpHeaders = {}): Probe => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags',
      headers: { ...auth(t.tokens.client), ...json, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const probes: Probe[] = [
      ofrep('{"context":'),
      ofrep(''),
      ofrep(undefined),
      ofrep('hello', { 'content-type': 'text/plain' }),
      ofrep('{}', { 'content-type': 'application/vnd.api+json' }),
      ofrep('{"context":{"targetingKey":5}}'),
      ofrep('{"context":null}'),
      ofrep('[]'),
      ofrep('null'),
      ofrep('{"context":{"targetingKey":"a","note":"\\u0000"}}'),
      ofrep('{"context":{"targetingKey":"\\ud800"}}'),
      ofrep('{"context":{"targetingKey":"\\ud83d\\ude00"}}'),
      ofrep('{"context":{"targetingKey":"\\u0041"}}'),
      ofrep(ofrepBody('x'.repeat(256))),
      ofrep(ofrepBody('x'.repeat(9000))),
      ofrep(['{"context":', '{"targetingKey":"chunked"}}']),
      { ...ofrep('{}'), path: '/ofrep/v1/evaluate/flags?x=1' },
    ];
    const answers = await expectEquivalent(probes, 'Hono');
    expect(answers.map((answer) => answer.status)).toEqual([
      400, 400, 400, 400, 200, 400, 400, 400, 400, 400, 400, 200, 200, 400, 400, 200, 200,
    ]);
  });

  it('leaves the other evaluation routes and CORS preflights to Hono, which answers them from the same responders', async () => {
    const client = auth(t.tokens.client);
    const preflight = (path: string, method: string): Probe => ({
      method: 'OPTIONS',
      path,
      headers: {
        'x-request-id': 'fixed-request-id',
        origin: 'https://app.example',
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    const probes: Probe[] = [
      { method: 'GET', path: '/api/config/flags/fast-1', headers: auth(t.tokens.admin) },
      { method: 'GET', path: '/api/config/flags/fast-2?environment=production', headers: client },
      { method: 'GET', path: '/api/config/flags/missing', headers: client },
      { method: 'GET', path: '/api/config/flags/', headers: client },
      {
        method: 'POST',
        path: '/ofrep/v1/evaluate/flags/fast-5',
        headers: { ...client, ...json },
        body: ofrepBody('u'),
      },
      { method: 'POST', path: '/ofrep/v1/evaluate/flags/missing', headers: { ...client, ...json }, body: '{}' },
      preflight('/api/config/flags', 'GET'),
      preflight('/api/client/flags', 'GET'),
      preflight('/ofrep/v1/evaluate/flags', 'POST'),
    ];
    const answers = await expectEquivalent(probes, 'Hono');
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 404, 200, 404, 204, 204, 204]);
    expect(answers[1]?.json).toEqual({
      key: 'fast-2',
      enabled: true,
      rolloutPercentage: 10,
      description: 'quote " and ü',
    });
    expect(answers[5]?.json).toMatchObject({ key: 'missing', errorCode: 'FLAG_NOT_FOUND' });
    expect(answers[6]?.headers['access-control-allow-origin']).toBe('*');
  });

  it('sends the CORS headers and a request id on what it answers, generating one when none (or an unusable one) is sent', async () => {
    for (const requestId of [undefined, 'not a valid id!']) {
      const headers: OutgoingHttpHeaders = { authorization: `Bearer ${t.tokens.client}`, ...json };
      if (requestId) headers['x-request-id'] = requestId;
      const before = handedOver;
      for (const probe of [
        { method: 'GET', path: '/api/config/flags?userId=u', headers },
        { method: 'GET', path: '/api/client/flags', headers },
        { method: 'POST', path: '/ofrep/v1/evaluate/flags', headers, body: ofrepBody('u') },
      ] satisfies Probe[]) {
        const [viaFastPath, viaRoute] = [await send(served, probe), await send(reference, probe)];
        expect(viaFastPath.status).toBe(200);
        expect(viaFastPath.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(viaFastPath.headers['access-control-allow-origin']).toBe('*');
        expect(viaFastPath.headers['access-control-expose-headers']).toBe('ETag,X-Request-Id');
        expect(Object.keys(viaFastPath.headers).sort()).toEqual(Object.keys(viaRoute.headers).sort());
      }
      expect(handedOver).toBe(before);
    }
  });

  it('counts requests and evaluations in the metrics as the route does', async () => {
    const probes: Probe[] = [
      { method: 'GET', path: '/api/config/flags?userId=u', headers: auth(t.tokens.client) },
      { method: 'GET', path: '/api/client/flags', headers: auth(t.tokens.client) },
      { method: 'GET', path: '/api/client/flags', headers: { ...auth(t.tokens.client), 'if-none-match': '*' } },
      { method: 'POST', path: '/ofrep/v1/evaluate/flags', headers: { ...auth(t.tokens.client), ...json }, body: '{}' },
      {
        method: 'POST',
        path: '/ofrep/v1/evaluate/flags',
        headers: { ...auth(t.tokens.client), ...json, 'if-none-match': '*' },
        body: '{}',
      },
    ];
    for (const probe of probes) {
      const start = await metricCounts();
      await send(reference, probe);
      const viaRoute = increase(start, await metricCounts());
      const middle = await metricCounts();
      await send(served, probe);
      const viaFastPath = increase(middle, await metricCounts());
      expect(Object.keys(viaRoute).length).toBeGreaterThan(0);
      expect({ probe, counted: viaFastPath }).toEqual({ probe, counted: viaRoute });
    }
  });
});
