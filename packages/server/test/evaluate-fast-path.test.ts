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
import { createEvaluateFastPath } from '../src/delivery/evaluate-fast-path';
import { evaluations, httpDuration } from '../src/shared/metrics';
import { createTestApp, type TestApp } from './helpers/app';
import { testBackends } from './helpers/database';

interface RawResponse {
  status: number;
  /** Every header as sent, in order, except Date. */
  headers: [string, string][];
  body: string;
}

interface Probe {
  method: 'GET' | 'POST';
  path: string;
  headers: OutgoingHttpHeaders;
  /** Sent in one piece (Content-Length), or in two writes (chunked) when an array. */
  body?: string | [string, string];
}

function send(base: string, probe: Probe): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${probe.path}`,
      { method: probe.method, headers: probe.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: [string, string][] = [];
          const raw = response.rawHeaders;
          for (let i = 0; i < raw.length; i += 2) {
            if (raw[i]?.toLowerCase() !== 'date') headers.push([raw[i] ?? '', raw[i + 1] ?? '']);
          }
          resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
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

describe.each(testBackends())('the evaluation fast path answers exactly as the Hono route (%s)', (backend) => {
  let t: TestApp;
  let servers: Server[] = [];
  /** Hono alone: the reference. */
  let reference: string;
  /** The fast path, then Hono for whatever it leaves, as `flagline serve` wires them. */
  let served: string;
  let fallbacks = 0;
  const json = { 'content-type': 'application/json' };
  const auth = (token: string, requestId = 'fixed-request-id') => ({
    authorization: `Bearer ${token}`,
    'x-request-id': requestId,
  });

  /** Sends the probe to both servers and expects the same status, headers (in order) and body bytes. */
  async function expectSameAnswer(probe: Probe): Promise<RawResponse> {
    const expected = await send(reference, probe);
    const actual = await send(served, probe);
    expect({ probe, ...actual }).toEqual({ probe, ...expected });
    return actual;
  }

  beforeAll(async () => {
    t = await createTestApp(backend);
    for (let i = 0; i < 20; i++) {
      const key = `fast-${i}`;
      await t.request('POST', '/api/admin/flags', { body: { key, description: i === 2 ? 'quote " and ü' : '' } });
      await t.request('PATCH', `/api/admin/flags/${key}`, { body: { enabled: i % 4 !== 0, rolloutPercentage: i * 5 } });
    }
    await t.request('POST', '/api/admin/flags/fast-3/users', { body: { userId: 'user-7', overrideType: 'exclude' } });
    await t.request('POST', '/api/admin/flags/fast-1/users', { body: { userId: 'user-7', overrideType: 'include' } });
    const honoListener = getRequestListener(t.app.fetch);
    const general = (request: IncomingMessage, response: ServerResponse) => {
      fallbacks++;
      void honoListener(request, response);
    };
    const fastPath = createEvaluateFastPath(t.deps.authenticator, t.deps.snapshot, t.deps.logger, general);
    const listen = async (server: Server) => {
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    reference = await listen(createServer(honoListener));
    served = await listen(
      createServer((request, response) => {
        if (!fastPath(request, response)) general(request, response);
      }),
    );
    // The route verifies a token first; from then on the fast path may answer for it.
    for (const token of Object.values(t.tokens)) await t.request('GET', '/api/config/flags', { token });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
    await t?.close();
  });

  it('GET /api/config/flags: same answer for known tokens, many users, anonymous callers and both environments', async () => {
    const before = fallbacks;
    // Each token asks for an environment it may read (another is a 403, which the route answers).
    for (const [token, environment] of [
      [t.tokens.client, 'production'],
      [t.tokens.developmentClient, 'development'],
      [t.tokens.admin, 'development'],
    ] as const) {
      for (const query of [
        '',
        '?userId=',
        '?userId',
        ...Array.from({ length: 40 }, (_, i) => `?userId=user-${i}`),
        `?userId=u&environment=${environment}`,
        '?userId=a%40b.example&other=1&other=2',
        '?userId=with+space',
        `?userId=${'x'.repeat(255)}`,
      ]) {
        await expectSameAnswer({ method: 'GET', path: `/api/config/flags${query}`, headers: auth(token) });
      }
    }
    // A Host header that is not plain lower case: @hono/node-server checks it, and accepts this one.
    const host = `LocalHost:${new URL(served).port}`;
    await expectSameAnswer({
      method: 'GET',
      path: '/api/config/flags?userId=u',
      headers: { ...auth(t.tokens.client), host },
    });
    expect(fallbacks - before).toBe(0);
  });

  it('GET /api/client/flags: same ruleset, ETag and 304s for both environments', async () => {
    const before = fallbacks;
    for (const [token, environment] of [
      [t.tokens.client, 'production'],
      [t.tokens.developmentClient, 'development'],
      [t.tokens.admin, 'development'],
    ] as const) {
      for (const query of ['', `?environment=${environment}`, '?userId=ignored']) {
        const path = `/api/client/flags${query}`;
        const first = await expectSameAnswer({ method: 'GET', path, headers: auth(token) });
        expect(first.status).toBe(200);
        const etag = first.headers.find(([name]) => name === 'etag')?.[1] ?? '';
        expect(etag).toMatch(/^"[\w-]+"$/);
        for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`, '*', '"stale"']) {
          const answer = await expectSameAnswer({
            method: 'GET',
            path,
            headers: { ...auth(token), 'if-none-match': ifNoneMatch },
          });
          expect(answer.status).toBe(ifNoneMatch === '"stale"' ? 200 : 304);
        }
      }
    }
    expect(fallbacks - before).toBe(0);
  });

  it('POST /ofrep/v1/evaluate/flags: same evaluations, ETags and 304s for contexts of every shape', async () => {
    const before = fallbacks;
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
    for (const token of [t.tokens.client, t.tokens.developmentClient, t.tokens.admin]) {
      for (const body of bodies) {
        const probe: Probe = {
          method: 'POST',
          path: '/ofrep/v1/evaluate/flags',
          headers: { ...auth(token), ...json },
          body,
        };
        const first = await expectSameAnswer(probe);
        expect(first.status).toBe(200);
        const etag = first.headers.find(([name]) => name === 'etag')?.[1] ?? '';
        await expectSameAnswer({ ...probe, headers: { ...probe.headers, 'if-none-match': etag } });
      }
    }
    await expectSameAnswer({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags',
      headers: { ...auth(t.tokens.client), 'content-type': 'application/json; charset=UTF-8', 'if-none-match': '"x"' },
      body: ofrepBody('user-1'),
    });
    expect(fallbacks - before).toBe(0);
  });

  it('generates a request id when none (or an unusable one) is sent', async () => {
    for (const requestId of [undefined, 'not a valid id!']) {
      const headers: OutgoingHttpHeaders = { authorization: `Bearer ${t.tokens.client}`, ...json };
      if (requestId) headers['x-request-id'] = requestId;
      for (const probe of [
        { method: 'GET', path: '/api/config/flags?userId=u', headers },
        { method: 'GET', path: '/api/client/flags', headers },
        { method: 'POST', path: '/ofrep/v1/evaluate/flags', headers, body: ofrepBody('u') },
      ] satisfies Probe[]) {
        const answer = await send(served, probe);
        expect(answer.status).toBe(200);
        expect(answer.headers.find(([name]) => name === 'x-request-id')?.[1]).toMatch(/^[0-9a-f-]{36}$/);
      }
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

  it('leaves unknown tokens, bad or unusual input and other paths to the route, which answers as usual', async () => {
    const before = fallbacks;
    const admin = auth(t.tokens.admin);
    const client = auth(t.tokens.client);
    const ofrep = (body: string | [string, string] | undefined, headers: OutgoingHttpHeaders = {}): Probe => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags',
      headers: { ...client, ...json, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const probes: Probe[] = [
      { method: 'GET', path: '/api/config/flags?userId=u', headers: auth('fl_never_seen_token') },
      { method: 'GET', path: '/api/config/flags?userId=u', headers: { 'x-request-id': 'fixed-request-id' } },
      {
        method: 'GET',
        path: '/api/config/flags?userId=u',
        // Sent twice: Node keeps the first, the route sees both joined (and refuses them).
        headers: {
          'x-request-id': 'fixed-request-id',
          Authorization: [`Bearer ${t.tokens.client}`, `Bearer ${t.tokens.admin}`],
        },
      },
      { method: 'GET', path: `/api/config/flags?environment=${encodeURIComponent('Not An Env')}`, headers: admin },
      { method: 'GET', path: `/api/config/flags?userId=${'x'.repeat(256)}`, headers: admin },
      { method: 'GET', path: '/api/config/flags?environment=nowhere', headers: admin },
      { method: 'GET', path: '/api/config/flags?userId=u&environment=development', headers: client },
      { method: 'GET', path: '/api/client/flags?environment=development', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=a&userId=b', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=a%00b', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=%E0%A4%A', headers: client },
      { method: 'GET', path: '/api/config/flags?userId=u', headers: { ...client, host: '999.1.1.1:65000' } },
      { method: 'GET', path: '/api/config/flags/fast-1', headers: admin },
      { method: 'GET', path: '/api/config/flags/', headers: client },
      { method: 'GET', path: '/api/client/flags', headers: auth('fl_never_seen_token') },
      { method: 'GET', path: '/api/client/flags?environment=nowhere', headers: admin },
      { method: 'GET', path: '/api/client/flags?environment=a&environment=b', headers: admin },
      { method: 'GET', path: '/api/client/flags?%00', headers: client },
      ofrep(ofrepBody('u'), { authorization: 'Bearer fl_never_seen_token' }),
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
      ofrep(ofrepBody('x'.repeat(256))),
      ofrep(ofrepBody('x'.repeat(9000))),
      ofrep(['{"context":', '{"targetingKey":"chunked"}}']),
      { ...ofrep('{}'), path: '/ofrep/v1/evaluate/flags?x=1' },
      { ...ofrep('{}'), path: '/ofrep/v1/evaluate/flags/fast-1' },
    ];
    for (const probe of probes) await expectSameAnswer(probe);
    expect(fallbacks - before).toBe(probes.length);
  });
});
