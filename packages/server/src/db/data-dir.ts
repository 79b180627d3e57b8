import { accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, statfsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { StartupError } from '../config';
import { LOCK_NAME, OWNER_NAME } from './lock';

const VARIABLE = 'FLAGLINE_DATA_DIR';
/** Group and other permission bits: the data dir holds webhook secrets and the audit trail, for its owner only. */
const GROUP_AND_OTHER = 0o077;
/** Where the first start hands over the admin token when no terminal is attached; also with DATABASE_URL set. */
export const BOOTSTRAP_TOKEN_FILE = 'bootstrap-admin-token';
/**
 * Entries a fresh directory may already hold: an ext4 volume's mount point has lost+found, and a first start on
 * PostgreSQL leaves the bootstrap token file here before the embedded database is ever used.
 */
export const KEPT_ENTRIES: ReadonlySet<string> = new Set(['lost+found', LOCK_NAME, OWNER_NAME, BOOTSTRAP_TOKEN_FILE]);
/**
 * Written before the build's migrated template is unpacked into a new directory and removed once it is: a directory
 * holding it was left half-unpacked by a start that was killed, and is unpacked again rather than refused as foreign
 * or opened as a damaged database.
 */
export const UNPACKING_MARKER = 'flagline.unpacking';
/** Filesystems made by the kernel, never storage (statfs f_type): proc, sysfs, devpts, cgroup2. */
const KERNEL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x63677270, 'cgroup2'],
]);

const errnoOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'unknown error';

/** Why a directory could not be created or written, in the operator's terms. */
export function describeFileError(directory: string, error: unknown): StartupError {
  const code = errnoOf(error);
  const reason =
    code === 'ENOTDIR'
      ? `cannot use ${directory}: part of that path is a file, not a directory (ENOTDIR).`
      : code === 'EACCES' || code === 'EPERM'
        ? `${directory} is not writable by this user (${code}); fix its ownership or point ${VARIABLE} elsewhere.`
        : code === 'EROFS'
          ? `${directory} is on a read-only filesystem (EROFS).`
          : code === 'ENOSPC'
            ? `no space left on the device holding ${directory} (ENOSPC).`
            : `cannot create or write ${directory} (${code}).`;
  return new StartupError(VARIABLE, reason, { cause: error });
}

function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function refuseKernelFilesystem(directory: string): void {
  let type: number;
  try {
    type = statfsSync(nearestExisting(directory)).type;
  } catch {
    return; // not a directory, or unreadable: the checks that follow say which
  }
  const kind = KERNEL_FILESYSTEMS.get(type);
  if (kind) {
    throw new StartupError(VARIABLE, `${directory} is on the kernel's ${kind} filesystem, not on storage.`);
  }
}

/** Every file 0600 and directory 0700, also for a data dir an older version created 0666/0755. */
function restrictToOwner(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & GROUP_AND_OTHER) !== 0) chmodSync(path, stat.isDirectory() ? 0o700 : 0o600);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) restrictToOwner(join(path, entry));
}

/**
 * Checks and creates the embedded database's directory before anything opens it: refuses a path under a file, on
 * /proc or /sys, or a non-empty directory that is not a Flagline (PGlite) data directory, and makes it the owner's
 * only. Returns the absolute path.
 */
export function prepareDataDir(dataDir: string): string {
  const directory = resolve(dataDir);
  try {
    checkAndCreate(directory);
  } catch (error) {
    throw error instanceof StartupError ? error : describeFileError(directory, error);
  }
  return directory;
}

function checkAndCreate(directory: string): void {
  refuseKernelFilesystem(directory);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    // A recursive mkdir reports ENOENT for a parent it may not write (read-only, no permission): ask the parent.
    accessSync(nearestExisting(directory), constants.W_OK);
    throw error;
  }
  if (!lstatSync(directory).isDirectory()) {
    throw new StartupError(VARIABLE, `${directory} is a file, not a directory.`);
  }
  const entries = readdirSync(directory).filter((entry) => !KEPT_ENTRIES.has(entry));
  if (entries.length > 0 && !entries.includes('PG_VERSION') && !entries.includes(UNPACKING_MARKER)) {
    const sample = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new StartupError(
      VARIABLE,
      `${directory} is not empty and is not a Flagline data directory (it holds ${sample}); point ${VARIABLE} at a new or empty directory.`,
    );
  }
  restrictToOwner(directory);
}

/** The few members of Emscripten's NODEFS this file wraps. */
interface NodeFsInternals {
  doSetAttr(target: unknown, node: unknown, attr: { mode?: number }, ...rest: unknown[]): unknown;
  node_ops: { mknod(parent: unknown, name: string, mode: number, dev: number): unknown };
}

/**
 * PGlite's Postgres runs on Emscripten's NODEFS, which chmods every file it creates to 0666 (and makes directories
 * 0777 less the umask), whatever Postgres asked for. This filesystem strips the group and other bits from every
 * mode NODEFS sets, so files are 0600 and directories 0700 — initdb's, and those created later (new tables, WAL).
 */
export class OwnerOnlyNodeFS extends NodeFS {
  override async init(pg: PGlite, options: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const { emscriptenOpts } = await super.init(pg, options);
    const restrictModes = (module: { NODEFS: unknown }) => {
      const nodefs = module.NODEFS as NodeFsInternals;
      const setAttr = nodefs.doSetAttr.bind(nodefs);
      nodefs.doSetAttr = (target, node, attr, ...rest) =>
        setAttr(
          target,
          node,
          attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHER },
          ...rest,
        );
      const mknod = nodefs.node_ops.mknod.bind(nodefs.node_ops);
      nodefs.node_ops.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHER, dev);
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), restrictModes] } };
  }
}
