import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ADMIN_TOKEN, ENVIRONMENT, flagKeys, sleep } from '../admin';
import { checkHistory, firstFew, ScenarioReport, withClient } from '../checks';
import type { PrivateCluster } from '../cluster';
import { Fleet } from '../fleet';

const run = promisify(execFile);

const DISK_MB = 48;
const WRITERS = 8;
const FLAGS_TO_UPDATE = 20;
const BEFORE_MS = 3_000;
const FULL_MS = 6_000;
const AFTER_MS = 4_000;

type Phase = 'before' | 'full' | 'after';
interface Outcome {
  phase: Phase;
  /** HTTP status, or 0 when there was no answer. */
  status: number;
  retryAfter: string | null;
}
interface Acknowledged {
  key: string;
  version: number;
  rolloutPercentage: number;
}

/** A tmpfs of its own, owned by the PostgreSQL server's user, for a tablespace: a disk that can fill up for real. */
async function mountSmallDisk(owner: { uid: number; gid: number }): Promise<string> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'flagline-chaos-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m,mode=0755`, 'tmpfs', mountPoint]);
  } catch (error) {
    rmSync(mountPoint, { recursive: true, force: true });
    throw new Error(`the disk-full scenario mounts a ${DISK_MB} MB tmpfs and needs root (CAP_SYS_ADMIN): ${error}`);
  }
  const tablespace = join(mountPoint, 'tablespace');
  mkdirSync(tablespace, { mode: 0o700 });
  await run('chown', [`${owner.uid}:${owner.gid}`, tablespace]);
  return mountPoint;
}

/** Writes a file of zeros until the filesystem has no space left: another tenant filling the disk. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

async function serverOwner(): Promise<{ uid: number; gid: number }> {
  if (process.getuid?.() !== 0) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  return {
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  };
}

/**
 * PostgreSQL's disk fills while admins write: the database lives in a tablespace on a 48 MB tmpfs, and a ballast file
 * takes every free byte in the middle of the run, then is deleted. Writes must answer 503 (with Retry-After) while the
 * disk is full — never 500 — evaluation keeps answering, and everything acknowledged must be in the database after.
 */
export async function diskFullScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('PostgreSQL runs out of disk space during writes, then gets it back');
  const mountPoint = await mountSmallDisk(await serverOwner());
  const ballast = join(mountPoint, 'ballast');
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  const fleet = { current: undefined as Fleet | undefined };
  try {
    await admin.query(`create tablespace chaos_small location '${join(mountPoint, 'tablespace')}'`);
    await admin.query('create database chaos_disk_full tablespace chaos_small');
    const url = cluster.url('chaos_disk_full');
    fleet.current = new Fleet({ DATABASE_URL: url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
    const api = await fleet.current.addServe('api');
    const apiUrl = api.url as string;
    const call = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
      try {
        const response = await fetch(`${apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        return { status: response.status, retryAfter: response.headers.get('retry-after'), text };
      } catch (error) {
        return { status: 0, retryAfter: null, text: String(error) };
      }
    };
    const updatable = flagKeys('disk', FLAGS_TO_UPDATE);
    for (const key of updatable) await call('POST', '/api/admin/flags', { key });
    const client = JSON.parse(
      (await call('POST', '/api/admin/tokens', { name: 'app', role: 'client', environment: ENVIRONMENT })).text,
    ) as { secret: string };
    const freeMb = () => {
      const stats = statfsSync(mountPoint);
      return Math.round(((stats.bavail * stats.bsize) / 1024 / 1024) * 10) / 10;
    };
    report.step(
      `the database in a tablespace on a ${DISK_MB} MB tmpfs (${freeMb()} MB free after migrations); an API instance; ${FLAGS_TO_UPDATE} flags; ${WRITERS} writers creating flags and changing rollouts`,
    );

    let phase: Phase = 'before';
    let stop = false;
    const outcomes: Outcome[] = [];
    const created: string[] = [];
    const updated: Acknowledged[] = [];
    const unexpected: string[] = [];
    const evaluation = new Map<string, number>();
    let fullAt = 0;
    let freedAt = 0;
    let firstWriteAfterFreeMs: number | undefined;
    let counter = 0;
    const writer = async (index: number) => {
      while (!stop) {
        const n = counter++;
        const creating = n % 2 === 0;
        const key = creating ? `disk-new-${index}-${n}` : (updatable[n % FLAGS_TO_UPDATE] as string);
        const rolloutPercentage = n % 101;
        const result = creating
          ? await call('POST', '/api/admin/flags', { key, description: 'x'.repeat(500) })
          : await call('PATCH', `/api/admin/flags/${key}`, { rolloutPercentage });
        // Counted in the phase the answer came in: a request sent just before the disk filled answers from a full one.
        outcomes.push({ phase, status: result.status, retryAfter: result.retryAfter });
        if (result.status === 201) created.push(key);
        if (result.status === 200) {
          const view = JSON.parse(result.text) as { version: number; rolloutPercentage: number };
          updated.push({ key, version: view.version, rolloutPercentage: view.rolloutPercentage });
        }
        if (![200, 201, 503].includes(result.status)) unexpected.push(`${result.status} ${result.text.slice(0, 200)}`);
        if ((result.status === 200 || result.status === 201) && freedAt && firstWriteAfterFreeMs === undefined) {
          firstWriteAfterFreeMs = Math.round(performance.now() - freedAt);
        }
        if (result.status === 503) await sleep(50);
      }
    };
    const evaluator = async () => {
      while (!stop) {
        const result = await call('GET', '/api/config/flags?userId=user-1', undefined, client.secret);
        const label = `${phase}:${result.status}`;
        evaluation.set(label, (evaluation.get(label) ?? 0) + 1);
        await sleep(50);
      }
    };
    const load = Promise.all([...Array.from({ length: WRITERS }, (_, i) => writer(i)), evaluator()]);

    await sleep(BEFORE_MS);
    const ballastBytes = fillDisk(ballast);
    fullAt = performance.now();
    phase = 'full';
    report.step(
      `after ${BEFORE_MS / 1000} s a ballast file took the remaining ${(ballastBytes / 1024 / 1024).toFixed(1)} MB: ${freeMb()} MB free`,
    );
    await sleep(FULL_MS);
    rmSync(ballast);
    freedAt = performance.now();
    phase = 'after';
    report.step(`after ${((freedAt - fullAt) / 1000).toFixed(1)} s full, the ballast was deleted: ${freeMb()} MB free`);
    await sleep(AFTER_MS);
    stop = true;
    await load;

    const count = (wanted: Phase, status: number) =>
      outcomes.filter((o) => o.phase === wanted && o.status === status).length;
    const summary = (wanted: Phase) => {
      const byStatus = new Map<number, number>();
      for (const o of outcomes.filter((outcome) => outcome.phase === wanted)) {
        byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
      }
      return Object.fromEntries([...byStatus].map(([status, n]) => [status === 0 ? 'no answer' : String(status), n]));
    };
    report.figures.writes = { before: summary('before'), full: summary('full'), after: summary('after') };
    report.figures.evaluation = Object.fromEntries(evaluation);
    report.figures.firstWriteAfterSpaceReturnedMs = firstWriteAfterFreeMs ?? null;
    report.step(
      `writes before: ${JSON.stringify(summary('before'))}; while full: ${JSON.stringify(summary('full'))}; after: ${JSON.stringify(summary('after'))}`,
    );

    const unavailable = outcomes.filter((o) => o.status === 503);
    report.check(
      'while the disk was full, writes answered 503 with Retry-After — never 500',
      count('full', 503) > 0 &&
        unexpected.length === 0 &&
        unavailable.every((o) => o.retryAfter !== null && Number(o.retryAfter) > 0),
      `${count('full', 503)} × 503 while full (${unavailable.filter((o) => o.retryAfter).length}/${unavailable.length} with Retry-After); other answers: ${unexpected.length === 0 ? 'none' : firstFew(unexpected)}`,
    );
    const evaluationFailures = [...evaluation].filter(([label]) => !label.endsWith(':200'));
    report.check(
      'evaluation kept answering 200 throughout',
      evaluationFailures.length === 0 && (evaluation.get('full:200') ?? 0) > 0,
      [...evaluation].map(([label, n]) => `${label} ×${n}`).join(', '),
    );
    const writesAfter = count('after', 200) + count('after', 201);
    report.check(
      'writes succeed again once space returns',
      writesAfter > 0 && firstWriteAfterFreeMs !== undefined,
      `${writesAfter} writes acknowledged after the ballast was deleted; the first ${firstWriteAfterFreeMs ?? '—'} ms after`,
    );

    const lost = await withClient(url, async (db) => {
      const keys = new Set((await db.query<{ key: string }>('select key from flags')).rows.map((row) => row.key));
      const createdEvents = new Set(
        (
          await db.query<{ flag_key: string }>(`select flag_key from audit_events where type = 'flag.created'`)
        ).rows.map((row) => row.flag_key),
      );
      const versions = new Set(
        (
          await db.query<{ entry: string }>(
            `select flag_key || '@' || (after->>'version') || '=' || (after->>'rolloutPercentage') as entry
             from audit_events where environment = $1 and type = 'flag.updated'`,
            [ENVIRONMENT],
          )
        ).rows.map((row) => row.entry),
      );
      return [
        ...created.filter((key) => !keys.has(key) || !createdEvents.has(key)).map((key) => `created ${key} missing`),
        ...updated
          .filter((ack) => !versions.has(`${ack.key}@${ack.version}=${ack.rolloutPercentage}`))
          .map((ack) => `update ${ack.key} v${ack.version} missing`),
      ];
    });
    report.figures.acknowledged = { creates: created.length, updates: updated.length };
    report.check(
      'nothing acknowledged was lost',
      lost.length === 0 && created.length + updated.length > 0,
      `${created.length} acknowledged creates and ${updated.length} acknowledged updates all in the database with their audit events${firstFew(lost)}`,
    );

    await checkHistory(report, url);
    const crashes = fleet.current.crashes();
    report.check(
      'the API instance ran throughout',
      crashes.length === 0,
      crashes.length === 0
        ? 'no exit'
        : crashes.map((c) => `exited ${c.code ?? c.signal}: ${c.stderr.slice(-300)}`).join(' | '),
    );
    return report;
  } finally {
    await fleet.current?.stop();
    await admin.query('drop database if exists chaos_disk_full with (force)').catch(() => {});
    await admin.query('drop tablespace if exists chaos_small').catch(() => {});
    await admin.end();
    await run('umount', [mountPoint]).catch(() => {});
    rmSync(mountPoint, { recursive: true, force: true });
  }
}
