import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff';
import { FlaglineClient } from '../src/client';
import type { FlagStreamEvent } from '../src/stream';
import { freePort, startTestServer, TcpProxy, type TestServer, waitFor } from './helpers/flagline';

/** Reads a stream into an array in the background, so tests can wait for what arrives; `done` settles when it ends. */
function collect(events: AsyncGenerator<FlagStreamEvent>) {
  const seen: FlagStreamEvent[] = [];
  const done = (async () => {
    for await (const event of events) seen.push(event);
  })();
  const find = <T extends FlagStreamEvent['type']>(type: T, from = 0) =>
    waitFor(`a ${type} event`, () =>
      seen.slice(from).find((event): event is Extract<FlagStreamEvent, { type: T }> => event.type === type),
    );
  return { seen, done, find };
}

/** A fetch that notes the Last-Event-ID of every stream request (openapi-fetch hands it a Request). */
function recordingFetch() {
  const lastEventIds: (string | null)[] = [];
  const impl: typeof fetch = (input, init) => {
    if (input instanceof Request && new URL(input.url).pathname === '/api/client/stream') {
      lastEventIds.push(input.headers.get('last-event-id'));
    }
    return fetch(input, init);
  };
  return { lastEventIds, fetch: impl };
}

async function openStreams(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('flagline_sse_connections '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('Backoff', () => {
  it('doubles from the first delay up to the cap, jittered between half and all of it, and starts again on reset', () => {
    const highest = new Backoff({ initialMs: 100, maxMs: 1_000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => highest.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    highest.reset();
    expect(highest.next()).toBe(100);
    const lowest = new Backoff({ initialMs: 100, maxMs: 1_000 }, () => 0);
    expect([1, 2, 3].map(() => lowest.next())).toEqual([50, 100, 200]);
  });
});

describe('FlaglineClient.stream against a Flagline server', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ SSE_HEARTBEAT_MS: '1000' });
    token = await server.clientToken();
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  it('reconnects after a cut with Last-Event-ID and receives only the change it missed', async () => {
    const proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.start();
    const recorder = recordingFetch();
    const abort = new AbortController();
    const client = new FlaglineClient({ url: proxy.url, token, fetch: recorder.fetch });
    const stream = collect(client.stream({ signal: abort.signal, backoff: { initialMs: 50, maxMs: 200 } }));
    try {
      const snapshot = await stream.find('snapshot');
      expect(snapshot.id).toBe(String(snapshot.ruleset.version));
      expect(recorder.lastEventIds).toEqual([null]);

      await proxy.stop();
      const cut = stream.seen.length;
      await stream.find('disconnected', cut);
      await server.admin.createFlag({ key: 'stream-missed' });
      await proxy.start();

      const missed = await stream.find('change', cut);
      expect(missed.change.changed.map((flag) => flag.key)).toEqual(['stream-missed']);
      expect(Number(missed.id)).toBeGreaterThan(snapshot.ruleset.version);
      // Every reconnect resumed from the snapshot's id; what was missed came as a change, not a second snapshot.
      expect(recorder.lastEventIds.slice(1).every((id) => id === snapshot.id)).toBe(true);
      expect(stream.seen.slice(cut).some((event) => event.type === 'snapshot')).toBe(false);
    } finally {
      abort.abort();
      await stream.done;
      await proxy.stop();
    }
  });

  it('backs off exponentially while the server cannot be reached, and starts again after a connection', async () => {
    const proxy = new TcpProxy(Number(new URL(server.url).port), await freePort());
    const abort = new AbortController();
    const client = new FlaglineClient({ url: proxy.url, token });
    const stream = collect(client.stream({ signal: abort.signal, backoff: { initialMs: 100, maxMs: 10_000 } }));
    const delays = () => stream.seen.flatMap((event) => (event.type === 'disconnected' ? [event.retryInMs] : []));
    try {
      await waitFor('three failed attempts', () => delays().length >= 3);
      const [first = 0, second = 0, third = 0] = delays();
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(second).toBeGreaterThanOrEqual(100);
      expect(second).toBeLessThanOrEqual(200);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);

      await proxy.start();
      const connected = await waitFor('a connection', () => {
        const index = stream.seen.findIndex((event) => event.type === 'open');
        return index === -1 ? undefined : index;
      });
      await stream.find('snapshot', connected);
      const failures = delays().length;
      await proxy.stop();
      await waitFor('a failure after the connection', () => delays().length > failures);
      const afterReset = delays()[failures] ?? 0;
      expect(afterReset).toBeGreaterThanOrEqual(50);
      expect(afterReset).toBeLessThanOrEqual(100);
    } finally {
      abort.abort();
      await stream.done;
      await proxy.stop();
    }
  });

  it('ends when the signal aborts, closing the connection, and also while it waits to reconnect', async () => {
    const before = await openStreams(server.url);
    const connectedAbort = new AbortController();
    const connected = collect(new FlaglineClient({ url: server.url, token }).stream({ signal: connectedAbort.signal }));
    await connected.find('snapshot');
    await waitFor('the server to count the stream', async () => (await openStreams(server.url)) === before + 1);
    connectedAbort.abort();
    await connected.done;
    await waitFor('the server to close the stream', async () => (await openStreams(server.url)) === before);
    expect(connected.seen.map((event) => event.type)).toEqual(['open', 'snapshot']);

    const waitingAbort = new AbortController();
    const unreachable = new FlaglineClient({ url: `http://127.0.0.1:${await freePort()}`, token });
    const waiting = collect(
      unreachable.stream({ signal: waitingAbort.signal, backoff: { initialMs: 60_000, maxMs: 60_000 } }),
    );
    const failure = await waiting.find('disconnected');
    expect(failure.retryInMs).toBeGreaterThanOrEqual(30_000);
    const aborted = Date.now();
    waitingAbort.abort();
    await waiting.done;
    expect(Date.now() - aborted).toBeLessThan(1_000);
  });
});

describe('FlaglineClient.stream parsing', () => {
  const requests: IncomingHttpHeaders[] = [];
  let url: string;
  const http = createServer((request, response) => {
    requests.push(request.headers);
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    if (requests.length > 1) {
      response.flushHeaders(); // the reconnect stays open, quietly
      return;
    }
    // A snapshot pretty-printed over several data lines, CRLF line ends, a comment and an event type it ignores.
    response.end(
      [
        ': a comment\r\n\r\n',
        'event: snapshot\r\nid: 7\r\ndata: {\r\ndata:   "environment": "production",\r\n',
        'data:   "version": 7,\r\ndata:   "flags": []\r\ndata: }\r\n\r\n',
        'event: something-new\ndata: ignored\n\n',
        'event: change\nid: 8\ndata: {"version":8,"changed":[],"deleted":["gone"]}\n\n',
      ].join(''),
    );
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  it('joins multi-line data, skips comments and unknown events, and resumes after the last id', async () => {
    const abort = new AbortController();
    const stream = collect(
      new FlaglineClient({ url, token: 't' }).stream({ signal: abort.signal, backoff: { initialMs: 20, maxMs: 20 } }),
    );
    try {
      await waitFor('the reconnect', () => requests.length >= 2 && stream.seen.at(-1)?.type === 'open');
      expect(stream.seen.map((event) => event.type)).toEqual(['open', 'snapshot', 'change', 'disconnected', 'open']);
      expect(stream.seen[1]).toEqual({
        type: 'snapshot',
        id: '7',
        ruleset: { environment: 'production', version: 7, flags: [] },
      });
      expect(stream.seen[2]).toEqual({
        type: 'change',
        id: '8',
        change: { version: 8, changed: [], deleted: ['gone'] },
      });
      expect(requests[0]?.['last-event-id']).toBeUndefined();
      expect(requests[1]?.['last-event-id']).toBe('8');
      expect(requests[1]?.accept).toBe('text/event-stream');
    } finally {
      abort.abort();
      await stream.done;
    }
  });
});
