import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, root, sleep } from '../lib';

export const UNLEASH_SERVER_VERSION = '6.10.1';
const scratch = join(root, 'node_modules/.cache/flagline-peers', `unleash-server-${UNLEASH_SERVER_VERSION}`);

export const UNLEASH_SECRETS = {
  admin: '*:*.admin-secret',
  client: '*:development.client-secret',
  frontend: '*:development.frontend-secret',
} as const;
export const UNLEASH_ENVIRONMENT = 'development';

const log = (line: string) => process.stdout.write(`  [unleash] ${line}\n`);

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} → ${code}`)),
    );
  });
}

/** unleash-server from npm into a cached scratch folder under node_modules (ignored by git and biome). */
export async function installUnleashServer(): Promise<string> {
  const manifest = join(scratch, 'node_modules/unleash-server/package.json');
  if (existsSync(manifest)) {
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    if (version === UNLEASH_SERVER_VERSION) {
      log(`unleash-server@${version} already installed in ${scratch}`);
      return scratch;
    }
  }
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'package.json'), '{ "name": "flagline-peers-unleash", "private": true }\n');
  log(`npm install unleash-server@${UNLEASH_SERVER_VERSION} into ${scratch} (≈30 s, 180 MB) …`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--no-audit', '--no-fund', `unleash-server@${UNLEASH_SERVER_VERSION}`], scratch);
  log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return scratch;
}

// Generated next to the installed package so `require('unleash-server')` resolves there; its options come as JSON.
const START_SCRIPT = `const unleash = require('unleash-server');
const options = JSON.parse(process.env.FLAGLINE_PEERS_UNLEASH_OPTIONS);
unleash.start(options).then(
  () => console.log('flagline-peers: started'),
  (error) => { console.error(error); process.exit(1); },
);
`;

export interface UnleashServer {
  url: string;
  child: ChildProcess;
  /** The last lines Unleash logged (warn and above), for the report and for failures. */
  logTail(): string[];
  stop(): Promise<void>;
}

/** Starts unleash-server as its own process on the database `database` of the local PostgreSQL. */
export async function startUnleash(folder: string, database: URL): Promise<UnleashServer> {
  const port = await freePort();
  const script = join(folder, 'start.cjs');
  writeFileSync(script, START_SCRIPT);
  const options = {
    db: {
      host: database.hostname,
      port: Number(database.port || 5432),
      user: decodeURIComponent(database.username) || 'postgres',
      password: decodeURIComponent(database.password),
      database: database.pathname.slice(1),
      ssl: false,
    },
    server: { port, host: '127.0.0.1' },
    authentication: {
      initApiTokens: [
        { environment: '*', project: '*', secret: UNLEASH_SECRETS.admin, type: 'admin', tokenName: 'admin' },
        {
          environment: UNLEASH_ENVIRONMENT,
          project: '*',
          secret: UNLEASH_SECRETS.client,
          type: 'client',
          tokenName: 'client',
        },
        {
          environment: UNLEASH_ENVIRONMENT,
          project: '*',
          secret: UNLEASH_SECRETS.frontend,
          type: 'frontend',
          tokenName: 'fe',
        },
      ],
    },
    versionCheck: { enable: false }, // no internet here; it would only log failures
    logLevel: 'warn',
  };
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  const child = spawn(process.execPath, [script], {
    cwd: folder,
    // SEND_TELEMETRY: `options.telemetry || env` can only be switched off through the environment.
    env: { ...process.env, FLAGLINE_PEERS_UNLEASH_OPTIONS: JSON.stringify(options), SEND_TELEMETRY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const server: UnleashServer = {
    url,
    child,
    logTail: () => [...tail],
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  log(`starting on ${url} (database ${options.db.database}; ≈20 s on a fresh database) …`);
  const started = Date.now();
  const deadline = started + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`unleash-server exited with ${child.exitCode}:\n${tail.join('\n')}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`unleash-server did not become healthy in 120 s:\n${tail.join('\n')}`);
    }
    await sleep(250);
  }
  log(`healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return server;
}

/** Calls Unleash's API with one of its tokens (the raw secret, no "Bearer"); throws on anything but 2xx. */
export async function unleashApi<T = unknown>(
  url: string,
  secret: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: secret, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Unleash ${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const featurePath = (name: string) => `/api/admin/projects/default/features/${encodeURIComponent(name)}`;

/** A flag rolled out to `rollout` % of users by userId, groupId = flag name (Flagline's bucketing), switched on. */
export async function createUnleashFlag(url: string, name: string, rollout: number): Promise<void> {
  await unleashApi(url, UNLEASH_SECRETS.admin, 'POST', '/api/admin/projects/default/features', { name });
  await unleashApi(
    url,
    UNLEASH_SECRETS.admin,
    'POST',
    `${featurePath(name)}/environments/${UNLEASH_ENVIRONMENT}/strategies`,
    { name: 'flexibleRollout', parameters: { rollout: String(rollout), stickiness: 'userId', groupId: name } },
  );
  await setUnleashFlagEnabled(url, name, true);
}

/** The environment's on/off switch: Unleash's kill switch, as `enabled` is Flagline's. */
export function setUnleashFlagEnabled(url: string, name: string, enabled: boolean): Promise<unknown> {
  return unleashApi(
    url,
    UNLEASH_SECRETS.admin,
    'POST',
    `${featurePath(name)}/environments/${UNLEASH_ENVIRONMENT}/${enabled ? 'on' : 'off'}`,
  );
}

/** The names of the flags Unleash's frontend API reports as on for `userId`. */
export async function unleashFrontendToggles(url: string, userId: string): Promise<string[]> {
  const body = await unleashApi<{ toggles: { name: string }[] }>(
    url,
    UNLEASH_SECRETS.frontend,
    'GET',
    `/api/frontend?userId=${encodeURIComponent(userId)}`,
  );
  return body.toggles.map((toggle) => toggle.name);
}
