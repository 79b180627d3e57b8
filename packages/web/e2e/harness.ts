import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the browser suites share: the built UI they serve. */

export const webDir = fileURLToPath(new URL('..', import.meta.url));
export const screenshotDir = join(webDir, 'e2e', 'screenshots');
const distIndex = join(webDir, 'dist', 'index.html');

/** The newest modification time under a directory (to notice a dist older than its sources). */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** `npm install` builds the UI (the root's prepare script); rebuild here only when dist is missing or stale. */
export function ensureBuilt(): void {
  const sources = Math.max(newestMtime(join(webDir, 'src')), newestMtime(join(webDir, 'index.html')));
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= sources) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `The admin UI is not built (${distIndex} is missing or older than packages/web/src) and building it failed. ` +
        `Run "npm run build -w @flagline/web" and read its output.\n${String(error)}`,
    );
  }
  if (!existsSync(distIndex)) {
    throw new Error(`The admin UI build produced no ${distIndex}; run "npm run build -w @flagline/web".`);
  }
}
