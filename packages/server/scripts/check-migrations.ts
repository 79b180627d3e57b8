/**
 * Fails when src/db/schema.ts and the committed migrations disagree: drizzle-kit generates into a scratch copy of
 * drizzle/, offline, and must find nothing to migrate. (`drizzle-kit check`, run before this, checks the migration
 * history's own consistency.)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverRoot = fileURLToPath(new URL('..', import.meta.url));
const committed = join(serverRoot, 'drizzle');
// Inside the package, so drizzle-kit resolves as it does for `npm run db:generate`.
const scratch = mkdtempSync(join(serverRoot, '.migrations-check-'));
try {
  const copy = join(scratch, 'drizzle');
  cpSync(committed, copy, { recursive: true });
  const sql = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.sql'));
  const before = sql(copy);
  const output = execFileSync(
    'npx',
    [
      'drizzle-kit',
      'generate',
      '--dialect',
      'postgresql',
      '--schema',
      'src/db/schema.ts',
      '--out',
      relative(serverRoot, copy),
    ],
    { cwd: serverRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const added = sql(copy).filter((name) => !before.includes(name));
  if (added.length > 0) {
    console.error(
      `src/db/schema.ts has changes no migration holds (drizzle-kit would add ${added.join(', ')}).\n` +
        'Run `npm run db:generate` and commit the migration.\n' +
        output,
    );
    process.exitCode = 1;
  } else {
    console.log('The Drizzle schema matches the committed migrations.');
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
