import { connect, createServer, type Server, type Socket } from 'node:net';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import pino from 'pino';
import { loadConfig } from '../../../server/src/config';
import { type RunningServer, startServer } from '../../../server/src/server';
import { FlaglineClient } from '../../src/client';
import { sleep, waitFor } from './util';

export { freePort, sleep, waitFor } from './util';

/** One raw event as the stream sent it. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export const ADMIN_TOKEN = 'sdk-tests-admin-token-0123456789';

export interface TestServer extends RunningServer {
  /** A typed client with the admin token. */
  admin: FlaglineClient;
  /** Makes a client token for an environment (default production). */
  clientToken(environment?: string): Promise<string>;
}

/**
 * A real Flagline HTTP server in this process, on a throwaway in-memory database (or `dataDir`), on a free port
 * unless `port` is given. Scheduler off: tests that need schedules run a worker.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    FLAGLINE_DATA_DIR: 'memory:',
    PORT: '0',
    FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    SCHEDULER_ENABLED: 'false',
    SNAPSHOT_POLL_MS: '1000',
    ...env,
  });
  const running = await startServer(config, pino({ level: 'silent' }));
  const admin = new FlaglineClient({ url: running.url, token: ADMIN_TOKEN });
  return {
    ...running,
    admin,
    async clientToken(environment = 'production') {
      return (await admin.createToken({ name: `sdk test ${environment}`, role: 'client', environment })).secret;
    },
  };
}

/** Creates a flag and sets its state in production. */
export async function createFlag(
  admin: FlaglineClient,
  key: string,
  state: { enabled: boolean; rolloutPercentage: number },
  overrides: { include?: string[]; exclude?: string[] } = {},
): Promise<void> {
  await admin.createFlag({ key, description: `test flag ${key}` });
  await admin.updateFlag(key, state);
  for (const userId of overrides.include ?? []) await admin.setOverride(key, { userId, overrideType: 'include' });
  for (const userId of overrides.exclude ?? []) await admin.setOverride(key, { userId, overrideType: 'exclude' });
}

/**
 * A raw SSE connection to /api/client/stream, read into a queue so tests can take events one at a time with a
 * timeout (and assert that nothing arrives).
 */
export class EventStream {
  readonly events: ServerSentEvent[] = [];
  private readonly abort = new AbortController();
  private ended = false;
  private constructor(readonly response: Response) {}

  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const abort = new AbortController();
    const response = await fetch(`${url}/api/client/stream`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    const stream = new EventStream(response);
    stream.abort.signal.addEventListener('abort', () => abort.abort());
    if (response.ok && response.body) void stream.pump(response.body);
    return stream;
  }

  private async pump(body: NonNullable<Response['body']>): Promise<void> {
    try {
      const reader = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        const { event = 'message', data, id } = read.value;
        this.events.push({ event, data, id });
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
    }
  }

  /** The next unread event, waiting up to `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<ServerSentEvent> {
    const event = await waitFor(
      'an SSE event',
      () => this.events.shift() ?? (this.ended ? undefined : false),
      timeoutMs,
    );
    return event;
  }

  /** Asserts no event arrives within `ms`. */
  async expectQuiet(ms: number): Promise<void> {
    await sleep(ms);
    if (this.events.length > 0) throw new Error(`expected no event, got ${JSON.stringify(this.events[0])}`);
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * A TCP proxy in front of a server, to cut live connections (as a network failure or a restart would) without
 * stopping the server itself. It keeps its port across stop()/start().
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /** `port` 0 takes a free one on the first start(). */
  constructor(
    private readonly targetPort: number,
    public port = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Stops listening and destroys every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
