// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"fetch":{"disableSameOriginPolicy":true}}}
import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlaglineReactProvider, useFlag, useFlags } from '@flagline/sdk/react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FlaglineClient } from '../src/client';
import { freePort, sleep } from './helpers/util';

/**
 * The React bindings in a browser-like DOM (happy-dom, whose fetch the component uses as a browser's). The server
 * runs as its own `flagline serve` process: this file's globals are the DOM's, not Node's.
 * happy-dom enforces the same-origin policy; Flagline does not answer CORS preflights, so it is switched off here
 * (a browser app reaches Flagline on its own origin, e.g. behind the same reverse proxy).
 */

const ADMIN_TOKEN = 'sdk-react-admin-token-0123456789';

const FLAGLINE_BIN = join(dirname(fileURLToPath(import.meta.url)), '../../server/bin/flagline.js');

/** A GET through Node's own http (this file's fetch is the DOM's); undefined when nothing answers. */
const nodeGet = (url: string) =>
  new Promise<{ status: number; body: string } | undefined>((resolve) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', () => resolve(undefined));
  });

const healthy = async (url: string) => (await nodeGet(`${url}/healthz`))?.status === 200;

/** Open SSE streams, from the server's metrics. */
async function streams(url: string): Promise<number> {
  const metrics = (await nodeGet(`${url}/metrics`))?.body ?? '';
  const line = metrics.split('\n').find((l) => l.startsWith('flagline_sse_connections '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

/** `flagline serve` on a free port with an in-memory database. */
async function startFlaglineProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'PORT', 'HOST', 'FLAGLINE_DATA_DIR', 'FLAGLINE_ADMIN_TOKEN']) delete env[name];
  const child = spawn(process.execPath, [FLAGLINE_BIN, 'serve'], {
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      FLAGLINE_DATA_DIR: 'memory:',
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null) throw new Error(`flagline serve exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('flagline serve was not healthy within 150 s');
    }
    await sleep(100);
  }
  return { url, child };
}

// Real servers and processes on a machine that may be busy: generous per-test time, tight assertions.
vi.setConfig({ testTimeout: 90_000 });

let server: { url: string; child: ChildProcess };
let admin: FlaglineClient;
let token: string;

beforeAll(async () => {
  server = await startFlaglineProcess();
  admin = new FlaglineClient({ url: server.url, token: ADMIN_TOKEN });
  await admin.createFlag({ key: 'react-flag' });
  await admin.updateFlag('react-flag', { enabled: true, rolloutPercentage: 100 });
  await admin.createFlag({ key: 'react-vip' });
  await admin.updateFlag('react-vip', { enabled: true, rolloutPercentage: 0 });
  await admin.setOverride('react-vip', { userId: 'ada', overrideType: 'include' });
  token = (await admin.createToken({ name: 'react', role: 'client', environment: 'production' })).secret;
}, 180_000);

afterEach(() => {
  cleanup();
});

afterAll(async () => {
  const child = server?.child;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
});

let mounts = 0;

function Feature({ flag }: { flag: string }) {
  const on = useFlag(flag);
  const { loading } = useFlags();
  useEffect(() => {
    mounts++;
  }, []);
  return (
    <p data-testid={flag} data-loading={String(loading)}>
      {on ? 'on' : 'off'}
    </p>
  );
}

describe('React bindings', () => {
  it('useFlag is false while loading, true once an enabled flag has loaded, and follows changes live without a remount', async () => {
    mounts = 0;
    render(
      <FlaglineReactProvider url={server.url} token={token} userId="grace">
        <Feature flag="react-flag" />
      </FlaglineReactProvider>,
    );
    const element = screen.getByTestId('react-flag');
    expect(element.textContent).toBe('off');
    expect(element.dataset.loading).toBe('true');

    await waitFor(() => expect(element.textContent).toBe('on'), { timeout: 20_000 });
    expect(element.dataset.loading).toBe('false');

    await act(async () => {
      await admin.updateFlag('react-flag', { enabled: false });
    });
    await waitFor(() => expect(element.textContent).toBe('off'), { timeout: 20_000 });
    await act(async () => {
      await admin.updateFlag('react-flag', { enabled: true });
    });
    await waitFor(() => expect(element.textContent).toBe('on'), { timeout: 20_000 });

    // The same DOM node and a single mount: the component re-rendered, it was not re-created.
    expect(screen.getByTestId('react-flag')).toBe(element);
    expect(mounts).toBe(1);
    expect(await streams(server.url)).toBe(1);

    // Unmounting closes the stream.
    cleanup();
    await waitFor(async () => expect(await streams(server.url)).toBe(0), { timeout: 20_000 });
  });

  it('evaluates for the given user (an override) and reads false for a flag that does not exist', async () => {
    render(
      <FlaglineReactProvider url={server.url} token={token} userId="ada">
        <Feature flag="react-vip" />
        <Feature flag="react-missing" />
      </FlaglineReactProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('react-vip').textContent).toBe('on'), { timeout: 20_000 });
    expect(screen.getByTestId('react-missing').textContent).toBe('off');

    cleanup();
    render(
      <FlaglineReactProvider url={server.url} token={token} userId="grace">
        <Feature flag="react-vip" />
      </FlaglineReactProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('react-vip').dataset.loading).toBe('false'), { timeout: 20_000 });
    expect(screen.getByTestId('react-vip').textContent).toBe('off');
  });
});
