import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ADMIN_TOKEN, adminClient, createFlags, ENVIRONMENT, flagKeys, inParallel, percentile, sleep } from '../admin';
import { ScenarioReport } from '../checks';
import type { PrivateCluster } from '../cluster';
import { Fleet } from '../fleet';

const SOAK_S = 60;
/** Long enough for V8 to size its heap to the load: growth is measured from there. */
const WARM_UP_S = 30;
const CONNECTIONS = 50;
const FLAGS = 100;
const MAX_GROWTH = 0.1;
const HEAP_LIMIT_MB = 256;

/** Resident memory of a process, from the kernel (what the machine pays, heap or not). */
function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function heapUsedBytes(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * The live heap: V8 collects garbage fully before it writes a heap snapshot (asked for with SIGUSR2), so the sum of
 * the snapshot's object sizes is what is still referenced — the number a leak grows, whatever the collector's timing.
 */
export async function liveHeapBytes(pid: number, directory: string): Promise<number> {
  const before = new Set(readdirSync(directory));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const file = readdirSync(directory).find((name) => !before.has(name) && name.endsWith('.heapsnapshot'));
    if (file) {
      try {
        const snapshot = JSON.parse(readFileSync(join(directory, file), 'utf8')) as {
          snapshot: { meta: { node_fields: string[] } };
          nodes: number[];
        };
        const fields = snapshot.snapshot.meta.node_fields;
        const selfSize = fields.indexOf('self_size');
        let total = 0;
        for (let i = selfSize; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i] as number;
        rmSync(join(directory, file));
        return total;
      } catch {
        // still being written
      }
    }
    if (Date.now() > deadline) throw new Error('no heap snapshot within 60 s');
    await sleep(250);
  }
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * 60 s of evaluation traffic at 50 connections — every-flag evaluation, OFREP single and bulk — against one API
 * instance on PostgreSQL, while an admin changes a flag every second (so snapshots are rebuilt under load). Every
 * request must succeed, and the process must not grow: resident memory at the end within 10 % of after the warm-up.
 */
export async function evaluationSoakScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('60 s evaluation soak at 50 connections');
  const url = await cluster.createDatabase('chaos_soak');
  const snapshots = mkdtempSync(join(tmpdir(), 'flagline-soak-'));
  const fleet = new Fleet({
    DATABASE_URL: url,
    FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    // The heap limit the README recommends for production. Without one, on a machine with this much memory V8 lets
    // garbage pile up to hundreds of MiB before collecting it (measured: RSS 270 → 515 MiB in 60 s while the live heap
    // stayed flat), which says nothing about leaks; the live-heap check below is independent of the limit.
    NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}`,
  });
  try {
    const api = await fleet.addServe('api');
    const apiUrl = api.url as string;
    const admin = adminClient(apiUrl);
    const keys = flagKeys('soak', FLAGS);
    await createFlags(admin, keys);
    await inParallel(5, keys, async (key, i) => {
      await admin.updateFlag(key, { enabled: i % 10 !== 0, rolloutPercentage: 50 });
      if (i % 5 === 0) await admin.setOverride(key, { userId: `user-${i}`, overrideType: 'include' });
    });
    const { secret } = await admin.createToken({ name: 'soak', role: 'client', environment: ENVIRONMENT });
    report.step(
      `one API instance, ${FLAGS} flags at 50 %, 20 overrides; a flag changes every second throughout; heap limit ${HEAP_LIMIT_MB} MiB`,
    );

    let n = 0;
    const load = (seconds: number) =>
      autocannon({
        url: apiUrl,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        requests: [
          { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/config/flags?userId=user-${n++ % 10_000}` }) },
          {
            method: 'POST',
            setupRequest: (r) => ({
              ...r,
              path: `/ofrep/v1/evaluate/flags/${keys[n % FLAGS]}`,
              body: JSON.stringify({ context: { targetingKey: `user-${n++ % 10_000}` } }),
            }),
          },
          {
            method: 'POST',
            setupRequest: (r) => ({
              ...r,
              path: '/ofrep/v1/evaluate/flags',
              body: JSON.stringify({ context: { targetingKey: `user-${n++ % 10_000}` } }),
            }),
          },
        ],
      });

    // Flags change throughout, warm-up included, so the heap before the soak already holds everything it needs for that.
    let changes = 0;
    let changeErrors = 0;
    let changing = true;
    const changer = (async () => {
      while (changing) {
        try {
          await admin.updateFlag(keys[changes % FLAGS] as string, { rolloutPercentage: 40 + (changes % 20) });
          changes++;
        } catch {
          changeErrors++;
        }
        await sleep(1_000);
      }
    })();
    await load(WARM_UP_S);
    const pid = api.process.pid;
    const liveBefore = await liveHeapBytes(pid, snapshots);
    const samples: Array<{ at: number; rss: number; heap: number }> = [];
    const started = Date.now();
    let running = true;
    const sampler = (async () => {
      while (running) {
        samples.push({ at: Date.now() - started, rss: residentBytes(pid), heap: await heapUsedBytes(apiUrl) });
        await sleep(1_000);
      }
    })();
    const result = await load(SOAK_S);
    running = false;
    changing = false;
    await Promise.all([sampler, changer]);
    const liveAfter = await liveHeapBytes(pid, snapshots);
    const liveGrowth = (liveAfter - liveBefore) / liveBefore;

    const window = Math.min(10, Math.floor(samples.length / 3));
    const rssStart = percentile(
      samples.slice(0, window).map((s) => s.rss),
      50,
    );
    const rssEnd = percentile(
      samples.slice(-window).map((s) => s.rss),
      50,
    );
    const heapStart = percentile(
      samples.slice(0, window).map((s) => s.heap),
      50,
    );
    const heapEnd = percentile(
      samples.slice(-window).map((s) => s.heap),
      50,
    );
    const growth = (rssEnd - rssStart) / rssStart;
    report.figures.requestsPerSecond = Math.round(result.requests.average);
    report.figures.latencyMs = { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max };
    report.figures.memoryMiB = {
      rss: { first10s: mib(rssStart), last10s: mib(rssEnd), max: mib(Math.max(...samples.map((s) => s.rss))) },
      heapUsed: { first10s: mib(heapStart), last10s: mib(heapEnd) },
      liveHeapAfterFullGc: { before: mib(liveBefore), after: mib(liveAfter) },
      samples: samples.length,
      everyTenSeconds: samples
        .filter((_, i) => i % 10 === 0)
        .map((sample) => ({ atS: Math.round(sample.at / 1000), rss: mib(sample.rss), heapUsed: mib(sample.heap) })),
    };
    report.figures.flagChanges = changes;

    report.check(
      'zero errors',
      result.errors === 0 && result.non2xx === 0 && result.timeouts === 0 && changeErrors === 0,
      `${result.requests.total} requests (${Math.round(result.requests.average)}/s, p99 ${result.latency.p99} ms): ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts; ${changes} flag changes, ${changeErrors} failed`,
    );
    report.check(
      'memory growth under 10 %: live heap',
      liveGrowth < MAX_GROWTH,
      `live heap after a full collection ${mib(liveBefore)} MiB before the soak → ${mib(liveAfter)} MiB after it (${(liveGrowth * 100).toFixed(1)} %)`,
    );
    report.check(
      'memory growth under 10 %: resident set',
      growth < MAX_GROWTH,
      `resident ${mib(rssStart)} MiB in the first 10 s → ${mib(rssEnd)} MiB in the last 10 s (${(growth * 100).toFixed(1)} %), after a ${WARM_UP_S} s warm-up; heap in use (garbage included) ${mib(heapStart)} → ${mib(heapEnd)} MiB`,
    );
    const crashes = fleet.crashes();
    report.check(
      'the instance stayed up',
      crashes.length === 0,
      crashes.length === 0 ? 'no exit' : String(crashes[0]?.code),
    );
    return report;
  } finally {
    await fleet.stop();
    rmSync(snapshots, { recursive: true, force: true });
  }
}
