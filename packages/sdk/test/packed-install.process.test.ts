import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * What a user of the published packages gets: `npm pack` the built workspaces, install the tarballs into an empty
 * folder, import them from plain Node and type-check a consumer against their .d.ts.
 *
 * Offline by design (CI has no registry guarantee): the tarballs' third-party dependencies are given to npm as
 * `file:` links to the workspace's node_modules, so `npm install --offline` resolves everything locally while still
 * installing our tarballs the way a registry install would (their dependency on each other included).
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WORKSPACE_MODULES = join(ROOT, 'node_modules');
const TSC = join(WORKSPACE_MODULES, 'typescript', 'bin', 'tsc');
/**
 * What the tarballs need at run and type-check time besides each other: react and OpenFeature are peers, and
 * OpenFeature's server types need Node's, as any server-side consumer has them.
 */
const LINKED = [
  'zod',
  'semver',
  'react',
  '@types/react',
  '@types/node',
  '@openfeature/server-sdk',
  '@openfeature/web-sdk',
  '@openfeature/ofrep-web-provider',
  '@openfeature/core',
  'openapi-fetch',
  'openapi-typescript-helpers',
  'eventsource-parser',
];
/** Where the workspace installed a package: the SDK's own node_modules when npm nested it there, else the root's. */
const installed = (name: string) =>
  [join(ROOT, 'packages', 'sdk', 'node_modules', name), join(WORKSPACE_MODULES, name)].find((path) => existsSync(path));

const PLAIN_NODE_CONSUMER = `
import { evaluate, bucket, flagViewSchema } from '@flagline/core';
import { FlaglineClient, FlaglineApiError } from '@flagline/sdk';
import { FlaglineProvider } from '@flagline/sdk/openfeature';
import { FlaglineReactProvider, useFlag } from '@flagline/sdk/react';
import { createFlaglineWebProvider } from '@flagline/sdk/web';

const resolved = {
  core: import.meta.resolve('@flagline/core'),
  sdk: import.meta.resolve('@flagline/sdk'),
  openfeature: import.meta.resolve('@flagline/sdk/openfeature'),
  react: import.meta.resolve('@flagline/sdk/react'),
  web: import.meta.resolve('@flagline/sdk/web'),
};
console.log(JSON.stringify({
  resolved,
  bucket: bucket('checkout', 'user-1'),
  schema: typeof flagViewSchema.parse,
  client: typeof new FlaglineClient({ url: 'http://127.0.0.1:1', token: 't' }).api.GET,
  apiError: typeof FlaglineApiError,
  provider: new FlaglineProvider({ url: 'http://127.0.0.1:1', token: 't' }).metadata.name,
  react: [typeof FlaglineReactProvider, typeof useFlag],
  web: createFlaglineWebProvider({ url: 'http://127.0.0.1:1', token: 't' }).runsOn,
  evaluate: typeof evaluate,
}));
`;

const TYPED_CONSUMER = `
import { type FlagView, evaluate, type EvaluationResult, flagViewSchema } from '@flagline/core';
import { FlaglineClient } from '@flagline/sdk';
import { FlaglineProvider } from '@flagline/sdk/openfeature';
import { FlaglineReactProvider, useFlag } from '@flagline/sdk/react';
import { createFlaglineWebProvider, type FlaglineWebProvider } from '@flagline/sdk/web';

const client = new FlaglineClient({ url: 'http://127.0.0.1:4747', token: 'fl_x' });
export async function enabledIn(environment: string): Promise<boolean> {
  const view: FlagView = await client.getFlag('checkout', environment);
  return view.enabled;
}
export const parsed: FlagView = flagViewSchema.parse({});
export const result: EvaluationResult = evaluate(undefined, 'user-1');
export const provider: FlaglineProvider = new FlaglineProvider({ url: 'http://x', token: 't', streaming: false });
export function Banner(): boolean {
  return useFlag('checkout');
}
export const Provider: typeof FlaglineReactProvider = FlaglineReactProvider;
export const web: FlaglineWebProvider = createFlaglineWebProvider({ url: 'http://x', token: 't', cacheMode: 'disabled' });
// @ts-expect-error the types are real: a number is not a FlagView
export const wrong: FlagView = 42;
`;

let scratch: string;
let consumer: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'flagline-pack-'));
  consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  // The global setup has built the packages; pack exactly what `npm publish` would upload.
  execFileSync(
    'npm',
    ['pack', '--silent', '--pack-destination', scratch, '-w', '@flagline/core', '-w', '@flagline/sdk'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const tarballs = readdirSync(scratch).filter((name) => name.endsWith('.tgz'));
  const tarball = (prefix: string) => {
    const found = tarballs.find((name) => name.startsWith(prefix));
    if (!found) throw new Error(`npm pack made no ${prefix} tarball (made: ${tarballs.join(', ')})`);
    return `file:../${found}`;
  };
  const dependencies: Record<string, string> = {
    '@flagline/core': tarball('flagline-core-'),
    '@flagline/sdk': tarball('flagline-sdk-'),
  };
  for (const name of LINKED) dependencies[name] = `file:${installed(name) ?? join(WORKSPACE_MODULES, name)}`;
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }),
  );
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: consumer,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed @flagline/core and @flagline/sdk', () => {
  it('import from plain Node (built JavaScript from the tarballs, every subpath)', () => {
    writeFileSync(join(consumer, 'plain.mjs'), PLAIN_NODE_CONSUMER);
    const output = execFileSync(process.execPath, ['plain.mjs'], { cwd: consumer, encoding: 'utf8' });
    const result = JSON.parse(output) as { resolved: Record<string, string> } & Record<string, unknown>;
    for (const [entry, url] of Object.entries(result.resolved)) {
      // From the installed tarball, not the workspace: a file under consumer/node_modules, and JavaScript.
      expect(fileURLToPath(url), entry).toContain(join(consumer, 'node_modules', '@flagline'));
      expect(url, entry).toMatch(/\/dist\/[a-z]+\.js$/);
    }
    expect(result).toMatchObject({
      bucket: expect.any(Number),
      schema: 'function',
      client: 'function',
      apiError: 'function',
      provider: 'flagline',
      react: ['function', 'function'],
      web: 'client',
      evaluate: 'function',
    });
  });

  it('type-check a strict consumer with nodenext resolution against their declarations', () => {
    writeFileSync(join(consumer, 'consumer.ts'), TYPED_CONSUMER);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          lib: ['ES2023', 'DOM'],
        },
        files: ['consumer.ts'],
      }),
    );
    let output = '';
    try {
      output = execFileSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer, encoding: 'utf8' });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`tsc failed on the consumer:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
    }
    expect(output).toBe('');
    // A full check of every declaration (skipLibCheck off), the generated API types included: ~5 s of CPU, much longer
    // on a machine shared with other suites.
  }, 180_000);
});
