import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The real CLI entry point, as `npm start` runs it. */
export const FLAGLINE_BIN = fileURLToPath(new URL('../../bin/flagline.js', import.meta.url));

/** Variables a developer's shell might export that would change what a spawned flagline does. */
const INHERITED_CONFIG = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'FLAGLINE_DATA_DIR',
  'FLAGLINE_ADMIN_TOKEN',
  'FLAGLINE_DEFAULT_ENVIRONMENT',
  'LOG_LEVEL',
  'AUTH_JWKS_URL',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_ALLOW_ANY_ISSUER',
  'AUTH_ALLOW_ANY_AUDIENCE',
  'AUTH_FAILURES_PER_MINUTE',
  'AUTH_GROUPS_CLAIM',
  'AUTH_ADMIN_GROUPS',
  'AUTH_VIEWER_GROUPS',
  'OVERRIDE_RATE_LIMIT_PER_HOUR',
  'SNAPSHOT_POLL_MS',
];

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_CONFIG) delete base[name];
  return { ...base, LOG_LEVEL: 'warn', ...env };
}

/** A port nobody is listening on right now: bind port 0, read what the kernel picked, let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('could not read the free port');
  return address.port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FlaglineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  hasExited(): boolean;
  /** Sends `signal` and waits for the exit; SIGKILLs it if it takes longer than `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/**
 * How long a process may take to start or finish a command. Generous because a busy CI box (or several suites on two
 * cores) can slow a cold start tenfold; a hung child is still killed when it runs out.
 */
export const PROCESS_TIMEOUT_MS = 120_000;

const running = new Set<FlaglineProcess>();

export function spawnFlagline(args: string[], env: Record<string, string>): FlaglineProcess {
  const child = spawn(process.execPath, [FLAGLINE_BIN, ...args], { env: childEnv(env), stdio: 'pipe' });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => {
      stderr += `\n[spawn error] ${error.message}`;
      exit ??= { code: null, signal: null };
      resolve(exit);
    });
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      resolve(exit);
    });
  });
  if (child.pid === undefined) throw new Error(`could not spawn flagline ${args.join(' ')}`);
  const handle: FlaglineProcess = {
    child,
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    hasExited: () => exit !== undefined,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exit) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Runs a one-shot command to completion; SIGKILLs it (and fails) if it hangs. */
export async function runFlagline(
  args: string[],
  env: Record<string, string>,
  timeoutMs = PROCESS_TIMEOUT_MS,
): Promise<Exit & { stdout: string; stderr: string }> {
  const flagline = spawnFlagline(args, env);
  const timer = setTimeout(() => flagline.child.kill('SIGKILL'), timeoutMs);
  const exit = await flagline.exited;
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL') {
    throw new Error(`flagline ${args.join(' ')} hung for ${timeoutMs} ms; stderr:\n${flagline.stderr()}`);
  }
  return { ...exit, stdout: flagline.stdout(), stderr: flagline.stderr() };
}

/** Kills every flagline this module started that is still running (for afterAll / finally). */
export async function killAllFlaglines(): Promise<void> {
  await Promise.all([...running].map((flagline) => flagline.stop('SIGKILL', 5_000)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 200; fails early if the process exits, and after `timeoutMs`. */
export async function waitForHealthy(
  flagline: FlaglineProcess,
  url: string,
  timeoutMs = PROCESS_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (flagline.hasExited()) {
      const exit = await flagline.exited;
      throw new Error(
        `flagline (pid ${flagline.pid}) exited with ${exit.code ?? exit.signal} before ${url} was healthy; stderr:\n${flagline.stderr()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms; stderr:\n${flagline.stderr()}`);
}

export interface StartedServer {
  flagline: FlaglineProcess;
  url: string;
  port: number;
}

/** `flagline serve` on a free port, resolved once /healthz answers. */
export async function startServe(env: Record<string, string>, timeoutMs = PROCESS_TIMEOUT_MS): Promise<StartedServer> {
  const port = await freePort();
  const flagline = spawnFlagline(['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(flagline, `${url}/healthz`, timeoutMs);
  } catch (error) {
    await flagline.stop('SIGKILL', 5_000);
    throw error;
  }
  return { flagline, url, port };
}
