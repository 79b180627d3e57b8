import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeRequest, ImportResult } from '@flagline/core';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client';
import { killAllFlaglines, PROCESS_TIMEOUT_MS, runFlagline } from '../helpers/processes';
import fixture from './fixtures/unleash-6.10.1-export.json';

const directory = mkdtempSync(join(tmpdir(), 'flagline-import-cli-'));
afterAll(async () => {
  await killAllFlaglines();
  rmSync(directory, { recursive: true, force: true });
});

describe('flagline import unleash', () => {
  it(
    'dry run, import, a second import refused naming the flags, and --replace',
    async () => {
      const exportFile = join(directory, 'export.json');
      const segmentsFile = join(directory, 'segments.json');
      writeFileSync(exportFile, JSON.stringify(fixture.export));
      // As `curl /api/admin/segments` answers it: { segments: [...] }.
      writeFileSync(segmentsFile, JSON.stringify({ segments: fixture.segments }));
      const env = { FLAGLINE_DATA_DIR: join(directory, 'data'), LOG_LEVEL: 'info' };
      const args = ['import', 'unleash', exportFile, '--environment', 'development', '--segments', segmentsFile];

      const dryRun = await runFlagline([...args, '--dry-run', '--json'], env);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      const planned = JSON.parse(dryRun.stdout) as ImportResult;
      expect(planned).toMatchObject({ dryRun: true, environment: 'development' });
      expect(planned.flags).toHaveLength(fixture.export.features.length);

      const imported = await runFlagline(args, env);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain(
        `Imported ${fixture.export.features.length} flags and 3 segments into development.`,
      );
      expect(imported.stderr).toContain('"config.imported"');

      const again = await runFlagline(args, env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('flag "imp-in"');
      expect(again.stderr).toContain('run with --replace');

      const replaced = await runFlagline([...args, '--replace', '--json'], env);
      expect(replaced.code, replaced.stderr).toBe(0);
      expect((JSON.parse(replaced.stdout) as ImportResult).flags.every((flag) => flag.action === 'replace')).toBe(true);

      const missing = await runFlagline(
        ['import', 'unleash', join(directory, 'nope.json'), '--environment', 'development'],
        env,
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('cannot read');

      // JSON, but not Unleash's export: refused naming the field, no stack trace, nothing written.
      const notAnExport = join(directory, 'not-an-export.json');
      writeFileSync(notAnExport, JSON.stringify({ features: [{ name: 7 }] }));
      const refused = await runFlagline(['import', 'unleash', notAnExport, '--environment', 'development'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Invalid FILE: features.0.name');
      expect(refused.stderr).not.toMatch(/ZodError|\n\s+at /);
    },
    6 * PROCESS_TIMEOUT_MS,
  );

  it(
    'into a protected environment, the import becomes a change request for a second admin',
    async () => {
      const exportFile = join(directory, 'protected-export.json');
      const segmentsFile = join(directory, 'protected-segments.json');
      writeFileSync(exportFile, JSON.stringify(fixture.export));
      writeFileSync(segmentsFile, JSON.stringify({ segments: fixture.segments }));
      const dataDir = join(directory, 'protected-data');
      const env = { FLAGLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      const args = ['import', 'unleash', exportFile, '--environment', 'production', '--segments', segmentsFile];
      // The first run migrates the data dir; the dry run changes nothing and needs no approval.
      const dryRun = await runFlagline([...args, '--dry-run', '--json'], env);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      const database = await openDatabase({ dataDir });
      try {
        await database.db.execute(sql`update environments set protected = true where key = 'production'`);
      } finally {
        await database.close();
      }

      const requested = await runFlagline([...args, '--json'], env);
      expect(requested.code, requested.stderr).toBe(0);
      const { changeRequest } = JSON.parse(requested.stdout) as { changeRequest: ChangeRequest };
      expect(changeRequest).toMatchObject({ status: 'pending', environment: 'production' });
      expect(changeRequest.change.kind).toBe('config.import');

      const plain = await runFlagline(args, env);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout).toMatch(/^production is protected: the import waits for a second admin as change request /);
    },
    4 * PROCESS_TIMEOUT_MS,
  );
});
