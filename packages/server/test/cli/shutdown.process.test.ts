import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllFlaglines, PROCESS_TIMEOUT_MS, startServe } from '../helpers/processes';

const ADMIN_TOKEN = 'shutdown-test-admin-token-0123456789abcdef';
const dataDir = join(mkdtempSync(join(tmpdir(), 'flagline-shutdown-')), 'data');

afterAll(async () => {
  await killAllFlaglines();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An HTTP/1.1 request written by hand, so its body can be sent in two halves with a SIGTERM in between. */
class SlowRequest {
  private received = '';
  readonly closed: Promise<void>;
  private readonly socket: Socket;

  constructor(port: number, path: string, body: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.received += chunk.toString();
    });
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.body = body;
    this.socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
  }

  private readonly body: string;

  finish(): void {
    this.socket.write(this.body.slice(5));
  }

  get response(): string {
    return this.received;
  }
}

async function openEventStream(url: string, clientToken: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/client/stream`, {
    headers: { authorization: `Bearer ${clientToken}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // the snapshot event: the stream is live
  const ended = (async () => {
    try {
      while (!(await reader.read()).done) {
        // heartbeats and changes until the server ends it
      }
      return 'ended';
    } catch {
      return 'ended';
    }
  })();
  return { ended, abort: () => controller.abort() };
}

describe('shutdown on SIGTERM', () => {
  it(
    'a request in flight completes; open event streams and idle connections do not hold shutdown; new connections are refused',
    async () => {
      const server = await startServe({
        FLAGLINE_DATA_DIR: dataDir,
        FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
        SHUTDOWN_GRACE_MS: '30000',
      });
      const token = await fetch(`${server.url}/api/admin/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'sdk', role: 'client', environment: 'production' }),
      });
      const { secret } = (await token.json()) as { secret: string };
      const stream = await openEventStream(server.url, secret);
      // An idle kept-alive connection (fetch keeps it open after this answer).
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      const inFlight = new SlowRequest(
        server.port,
        '/api/admin/flags',
        JSON.stringify({ key: 'in-flight-at-sigterm' }),
      );
      await sleep(300); // the server has the headers and half the body: it is reading the request
      const stopping = performance.now();
      const exited = server.flagline.stop('SIGTERM', 60_000);
      await sleep(500);
      await expect(fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
      expect(await stream.ended).toBe('ended');
      expect(server.flagline.hasExited()).toBe(false); // still waiting for the request in flight

      inFlight.finish();
      await inFlight.closed;
      expect(inFlight.response).toMatch(/^HTTP\/1\.1 201 /);
      expect(inFlight.response.toLowerCase()).toContain('connection: close');
      expect(await exited).toEqual({ code: 0, signal: null });
      // Well inside the 30 s grace period: only the request in flight was waited for.
      expect(performance.now() - stopping).toBeLessThan(10_000);
      stream.abort();

      // What was acknowledged is there after a restart.
      const restarted = await startServe({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      const flag = await fetch(`${restarted.url}/api/admin/flags/in-flight-at-sigterm`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(flag.status).toBe(200);
      expect(await restarted.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    'a request that does not finish within SHUTDOWN_GRACE_MS is cut off when the grace period ends',
    async () => {
      const server = await startServe({
        FLAGLINE_DATA_DIR: dataDir,
        FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
        SHUTDOWN_GRACE_MS: '1500',
      });
      const stuck = new SlowRequest(server.port, '/api/admin/flags', JSON.stringify({ key: 'never-finished' }));
      await sleep(300);
      const stopping = performance.now();
      expect(await server.flagline.stop('SIGTERM', 60_000)).toEqual({ code: 0, signal: null });
      const elapsed = performance.now() - stopping;
      await stuck.closed;
      expect(stuck.response).toBe('');
      expect(elapsed).toBeGreaterThanOrEqual(1_500);
      expect(elapsed).toBeLessThan(10_000);
    },
    2 * PROCESS_TIMEOUT_MS,
  );
});
