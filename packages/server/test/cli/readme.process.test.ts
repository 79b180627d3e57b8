import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { createToken } from '../../src/tokens/token-service';
import { killAllFlaglines, PROCESS_TIMEOUT_MS, type StartedServer, startServe } from '../helpers/processes';

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
/** The README sections a reader runs, in order, against the server they started. */
const WALK_THROUGH = [
  'A walk-through with curl',
  'Scheduled changes',
  'Recurring schedules',
  'Rollout plans',
  'Typed flags, targeting and segments',
  'Four-eyes approval',
];

interface Step {
  command: string;
  /** The `# …` line the README shows under the command: what it prints. */
  expected?: string;
}

/** The ```sh blocks of the named `## ` sections, in README order. */
function shellBlocks(markdown: string, sections: string[]): string[] {
  const blocks: string[] = [];
  for (const section of markdown.split(/^## /m)) {
    const title = section.slice(0, section.indexOf('\n')).trim();
    if (!sections.includes(title)) continue;
    for (const match of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) blocks.push(match[1] ?? '');
  }
  return blocks;
}

/** Commands (a line and its `\`-continuations) with the output line the README shows under each. */
function stepsOf(block: string): Step[] {
  const steps: Step[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    pending = pending ? `${pending}\n${line}` : line;
    if (line.endsWith('\\')) continue;
    const text = pending.trim();
    pending = '';
    if (text === '') continue;
    const previous = steps.at(-1);
    if (text.startsWith('# ') && previous && previous.expected === undefined) previous.expected = text.slice(2);
    else if (!text.startsWith('#')) steps.push({ command: text });
  }
  return steps;
}

const MARKER = '@@flagline-readme-step@@';

/** Runs `script` with bash; resolves with its exit code and output (never rejects). */
function bash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(async () => {
  await killAllFlaglines();
});

describe('the README', () => {
  let server: StartedServer | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await server?.flagline.stop('SIGTERM', 10_000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'runs: the curl walk-through and the schedule example, against a fresh server, print what the README says',
    async () => {
      const blocks = shellBlocks(await readFile(README, 'utf8'), WALK_THROUGH);
      expect(blocks.length).toBeGreaterThanOrEqual(6);
      expect(blocks.some((block) => block.includes('/schedule'))).toBe(true);

      // A fresh server as the README's first start leaves it: one admin token, made by the system, shown once.
      dataDir = await mkdtemp(join(tmpdir(), 'flagline-readme-'));
      const database = await openDatabase({ dataDir: join(dataDir, 'data') });
      let adminToken: string;
      try {
        await runMigrations(database);
        const bootstrap = await createToken(
          { db: database.db, logger: pino({ level: 'silent' }) },
          { actor: { type: 'system', id: 'flagline', email: null }, requestId: null },
          { name: 'bootstrap admin', role: 'admin' },
        );
        adminToken = bootstrap.secret;
      } finally {
        await database.close();
      }
      server = await startServe({ FLAGLINE_DATA_DIR: join(dataDir, 'data') });

      let substitutions = 0;
      const steps = blocks.flatMap(stepsOf).map((step) => ({
        ...step,
        command: step.command
          .replace(/^export FLAGLINE=\S+$/, () => {
            substitutions++;
            return `export FLAGLINE=${server?.url}`;
          })
          .replace(/^export TOKEN=\S+$/, () => {
            substitutions++;
            return `export TOKEN=${adminToken}`;
          }),
      }));
      expect(substitutions, 'the README sets FLAGLINE and TOKEN').toBe(2);

      // An HTTP error fails the command (curl -s alone exits 0 on a 4xx), and a failed command stops the script.
      const script = [
        'set -euo pipefail',
        'curl() { command curl --fail-with-body --show-error --max-time 30 "$@"; }',
        ...steps.map((step) => `${step.command}\nprintf '\\n${MARKER}\\n'`),
      ].join('\n');
      const run = await bash(script, dataDir);
      const outputs = run.stdout.split(`\n${MARKER}\n`);
      expect(
        { code: run.code, stderr: run.stderr },
        `the README stopped after step ${outputs.length}: ${steps[outputs.length - 1]?.command}\n${run.stdout}`,
      ).toEqual({ code: 0, stderr: '' });

      const shown = steps.filter((step) => step.expected !== undefined);
      expect(shown.length).toBeGreaterThanOrEqual(3);
      steps.forEach((step, index) => {
        if (step.expected === undefined) return;
        const printed = (outputs[index] ?? '').trim();
        expect(JSON.parse(printed), step.command).toEqual(JSON.parse(step.expected));
      });

      // The schedule the README created is pending, for tomorrow, with the change it asked for.
      const pending = await fetch(`${server.url}/api/admin/schedules?status=pending`, {
        headers: { authorization: `Bearer ${adminToken}` },
      }).then((response) => response.json() as Promise<{ items: { scheduledAt: string; updates: unknown }[] }>);
      expect(pending.items).toEqual([
        expect.objectContaining({ updates: { rolloutPercentage: 100 }, scheduledAt: expect.any(String) }),
      ]);
      const due = new Date(pending.items[0]?.scheduledAt ?? 0).getTime() - Date.now();
      expect(due).toBeGreaterThan(23 * 3_600_000);
      expect(due).toBeLessThanOrEqual(24 * 3_600_000);
    },
    PROCESS_TIMEOUT_MS * 2,
  );
});
