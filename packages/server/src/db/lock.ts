import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { StartupError } from '../config';

export class DataDirLockedError extends StartupError {
  override name = 'DataDirLockedError';
}

/** A directory (mkdir is atomic) whose mtime the holder refreshes; no pid is trusted, so a reused pid cannot block. */
export const LOCK_NAME = 'flagline.lock';
/** Who holds the lock, for the message only. */
export const OWNER_NAME = 'flagline.owner';
/** A lock not refreshed for this long belongs to a process that died (a crash, SIGKILL, a power cut). */
export const LOCK_STALE_MS = 10_000;
const LOCK_REFRESH_MS = 2_000;
const POLL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lockMtime(lockPath: string): number | undefined {
  try {
    return statSync(lockPath).mtimeMs;
  } catch {
    return undefined;
  }
}

function ownerOf(directory: string): string {
  try {
    const owner = readFileSync(join(directory, OWNER_NAME), 'utf8').trim();
    return /^[\w .:@-]{1,200}$/.test(owner) ? ` (${owner})` : '';
  } catch {
    return '';
  }
}

/** Whether `pid` is a running Flagline; where /proc exists its command line tells, so a reused pid does not count. */
function isFlaglineRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('flagline');
  } catch {
    return true; // no /proc (macOS): a live pid is all there is to go on
  }
}

/**
 * Before 0.2 the lock was a plain file holding a pid. One left by a crash would look held for ever to the
 * directory lock, so it is removed — unless that older version is still running there.
 */
function removeLegacyLockFile(directory: string, lockPath: string): void {
  let isFile = false;
  try {
    isFile = statSync(lockPath).isFile();
  } catch {
    return;
  }
  if (!isFile) return;
  const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isFlaglineRunning(pid)) {
    throw new DataDirLockedError(
      'FLAGLINE_DATA_DIR',
      `the embedded database at ${directory} may be in use by an older Flagline (pid ${pid}, per its lock file ${lockPath}); stop it first.`,
    );
  }
  rmSync(lockPath, { force: true });
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * The embedded database is one Postgres in one process: a second process opening the same directory would corrupt
 * it. The lock is a directory created atomically; its holder refreshes its mtime every 2 s, so a lock left by a process
 * that died goes stale after 10 s and is taken over, whatever pid the machine has since given to someone else.
 * A second process sees the mtime move within a couple of seconds and gives up with a clear message.
 */
export async function acquireDataDirLock(
  directory: string,
  onCompromised: (error: Error) => void,
): Promise<DataDirLock> {
  const lockPath = join(directory, LOCK_NAME);
  removeLegacyLockFile(directory, lockPath);
  const deadline = Date.now() + LOCK_STALE_MS + 2 * LOCK_REFRESH_MS;
  let seenMtime: number | undefined;
  for (;;) {
    try {
      const release = await lockfile.lock(directory, {
        lockfilePath: lockPath,
        realpath: false,
        stale: LOCK_STALE_MS,
        update: LOCK_REFRESH_MS,
        onCompromised,
      });
      chmodSync(lockPath, 0o700); // mkdir honoured the umask; the data dir's entries are the owner's only
      writeFileSync(join(directory, OWNER_NAME), `pid ${process.pid} on ${hostname()}\n`, { mode: 0o600 });
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          rmSync(join(directory, OWNER_NAME), { force: true });
          await release().catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    const mtime = lockMtime(lockPath);
    const refreshed = seenMtime !== undefined && mtime !== undefined && mtime !== seenMtime;
    if (refreshed || Date.now() > deadline) {
      throw new DataDirLockedError(
        'FLAGLINE_DATA_DIR',
        `the embedded database at ${directory} is in use by another Flagline process${ownerOf(directory)}. ` +
          'Stop that process first, or set DATABASE_URL to PostgreSQL to run several processes.',
      );
    }
    seenMtime = mtime ?? seenMtime;
    await sleep(POLL_MS);
  }
}
