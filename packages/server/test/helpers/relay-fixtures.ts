import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  type FlaglineProcess,
  freePort,
  type StartedServer,
  spawnFlagline,
  startServe,
  waitForHealthy,
} from './processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Endpoint {
  url: string;
  flagline: FlaglineProcess;
}

/** `flagline relay` on a free port (or `port`), resolved once its /readyz answers 200 (it has a snapshot). */
export async function startRelayProcess(
  upstream: string,
  token: string,
  options: { port?: number; env?: Record<string, string>; args?: string[] } = {},
): Promise<Endpoint & { port: number }> {
  const port = options.port ?? (await freePort());
  const flagline = spawnFlagline(
    ['relay', '--upstream', upstream, '--token', token, '--port', String(port), ...(options.args ?? [])],
    { HOST: '127.0.0.1', ...options.env },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(flagline, `${url}/readyz`);
  } catch (error) {
    await flagline.stop('SIGKILL', 5_000);
    throw error;
  }
  return { url, flagline, port };
}

/** Polls `check` until it holds (a check that throws counts as not yet); fails after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting until ${what}`);
}

export interface SeededRelay {
  dataDir: string;
  server: StartedServer;
  serverToken: { id: string; secret: string };
  relay: Endpoint & { port: number };
}

/**
 * A `flagline serve` on its embedded database in a new temporary directory, seeded with the typed flags, a server
 * token, and a relay in front of it started with `relayArgs`. The caller removes `dataDir`.
 */
export async function startSeededRelay(options: {
  adminToken: string;
  name: string;
  relayArgs?: string[];
  relayEnv?: Record<string, string>;
}): Promise<SeededRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), `flagline-${options.name}-`));
  const server = await startServe({
    FLAGLINE_DATA_DIR: join(dataDir, 'data'),
    FLAGLINE_ADMIN_TOKEN: options.adminToken,
  });
  await seedTypedFlags(server.url, options.adminToken);
  const serverToken = await createToken(server.url, options.adminToken, { name: options.name, role: 'server' });
  const relay = await startRelayProcess(server.url, serverToken.secret, {
    args: options.relayArgs ?? [],
    env: options.relayEnv ?? {},
  });
  return { dataDir, server, serverToken, relay };
}

/** An admin API call that must succeed; answers the parsed body. */
export async function adminCall<T = unknown>(
  url: string,
  adminToken: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function createToken(
  url: string,
  adminToken: string,
  body: { name: string; role: 'server' | 'frontend'; environment?: string; allowedOrigins?: string[] },
): Promise<{ id: string; secret: string }> {
  return adminCall(url, adminToken, 'POST', '/api/admin/tokens', { environment: 'production', ...body });
}

/**
 * Typed flags with everything evaluation can read: a segment, rules on attributes, rule rollouts, percentage splits,
 * pinned and plain overrides, a plain rollout; of each type.
 */
export async function seedTypedFlags(url: string, adminToken: string): Promise<void> {
  const call = (method: string, path: string, body?: unknown) => adminCall(url, adminToken, method, path, body);
  await call('POST', '/api/admin/segments', {
    key: 'relay-beta',
    name: 'Beta countries',
    description: '',
    constraints: [{ attribute: 'country', operator: 'IN', values: ['DE', 'FR'] }],
  });
  const colours = [
    { key: 'red', value: 'red' },
    { key: 'green', value: 'green' },
    { key: 'blue', value: 'blue' },
  ];
  await call('POST', '/api/admin/flags', { key: 'relay-colour', type: 'string', variants: colours });
  await call('PATCH', '/api/admin/flags/relay-colour/targeting?environment=production', {
    enabled: true,
    rules: [
      { id: 'beta', segments: ['relay-beta'], serve: { variant: 'green' } },
      {
        id: 'staff',
        constraints: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }],
        rollout: { percentage: 50 },
        serve: {
          split: {
            variants: [
              { variant: 'red', weight: 300 },
              { variant: 'blue', weight: 700 },
            ],
          },
        },
      },
    ],
    fallthrough: {
      split: {
        variants: [
          { variant: 'red', weight: 500 },
          { variant: 'green', weight: 250 },
          { variant: 'blue', weight: 250 },
        ],
      },
    },
  });
  await call('POST', '/api/admin/flags/relay-colour/users?environment=production', {
    userId: 'user-3',
    overrideType: 'include',
    variant: 'blue',
  });
  await call('POST', '/api/admin/flags', {
    key: 'relay-discount',
    type: 'number',
    variants: [
      { key: 'none', value: 0 },
      { key: 'some', value: 12.5 },
    ],
  });
  await call('PATCH', '/api/admin/flags/relay-discount/targeting?environment=production', {
    enabled: true,
    rules: [
      {
        id: 'older',
        constraints: [{ attribute: 'age', operator: 'NUM_GT', values: ['40'] }],
        serve: { variant: 'some' },
      },
    ],
    fallthrough: { variant: 'none' },
  });
  await call('POST', '/api/admin/flags', {
    key: 'relay-layout',
    type: 'json',
    variants: [
      { key: 'compact', value: { columns: 1 } },
      { key: 'wide', value: { columns: 3, sidebar: true } },
    ],
  });
  await call('PATCH', '/api/admin/flags/relay-layout/targeting?environment=production', {
    enabled: true,
    fallthrough: {
      split: {
        variants: [
          { variant: 'compact', weight: 400 },
          { variant: 'wide', weight: 600 },
        ],
        stickiness: 'accountId',
      },
    },
  });
  await call('POST', '/api/admin/flags', { key: 'relay-plain' });
  await call('PATCH', '/api/admin/flags/relay-plain?environment=production', { enabled: true, rolloutPercentage: 40 });
  await call('POST', '/api/admin/flags/relay-plain/users?environment=production', {
    userId: 'user-1',
    overrideType: 'include',
  });
  await call('POST', '/api/admin/flags/relay-plain/users?environment=production', {
    userId: 'user-2',
    overrideType: 'exclude',
  });
  await call('POST', '/api/admin/flags', { key: 'relay-off' });
}

/** The n-th evaluation context of the comparison: varied targeting keys and attributes, some missing. */
export function contextAt(n: number): Record<string, unknown> {
  const countries = ['DE', 'FR', 'US', 'GB', 'JP'];
  const context: Record<string, unknown> = { targetingKey: `user-${n}` };
  if (n % 3 !== 0) context.country = countries[n % countries.length];
  if (n % 4 !== 1) context.email = n % 2 === 0 ? `person${n}@example.com` : `person${n}@elsewhere.org`;
  if (n % 5 !== 2) context.age = 18 + (n % 50);
  if (n % 7 !== 3) context.accountId = `account-${n % 97}`;
  return context;
}

/** A Server-Sent Events reader that keeps every event it receives. */
export class EventReader {
  readonly events: { event: string; id: string | undefined; data: string }[] = [];
  private readonly abort = new AbortController();
  private ended = false;
  status = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async open(): Promise<void> {
    const response = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: this.abort.signal,
    });
    this.status = response.status;
    if (response.status !== 200 || !response.body) throw new Error(`stream answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let id: string | undefined;
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('id:')) id = line.slice(3).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length > 0) this.events.push({ event, id, data: data.join('\n') });
          }
        }
      } catch {
        // closed by the test
      }
      this.ended = true;
    })();
  }

  hasEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
  }

  /** Waits until an event satisfies `match`; fails after `timeoutMs`. */
  async waitFor(
    match: (event: { event: string; id: string | undefined; data: string }) => boolean,
    timeoutMs = 10_000,
  ): Promise<{ event: string; id: string | undefined; data: string }> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.events.find(match);
      if (found) return found;
      await sleep(10);
    }
    throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events).slice(0, 2000)}`);
  }

  async waitForEnd(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await sleep(20);
    return this.ended;
  }
}

/** Whether a change event (of the server stream) carries flag `key`. */
export const changes = (key: string) => (event: { event: string; data: string }) =>
  event.event === 'change' &&
  (JSON.parse(event.data) as { changed: { key: string }[] }).changed.some((f) => f.key === key);
