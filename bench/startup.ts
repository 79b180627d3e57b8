import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, root, round, sleep, summarise, writeResult } from './lib';

/*
 * Start-up as a user meets it, all through the built `flagline` bin on the embedded database (PGlite):
 * - `flagline --help` and `--version` (targets: ≤ 300 ms), next to a bare `node -e ''` for what Node itself costs;
 * - first start on an empty data directory (initdb, migrations, bootstrap token) to a 200 from /readyz (target ≤ 3 s);
 * - restarts on that directory to /readyz (target ≤ 1.5 s);
 * - resident memory (RSS) once ready and after a few idle seconds, and the peak (VmHWM), from /proc;
 * - where a restart's time goes: each step `serve` takes (startup-phases.mjs), with its CPU time and the memory it
 *   touches, next to what touching fresh memory costs on this machine (a page fault per 4 KiB).
 */

const BIN = join(root, 'packages/server/bin/flagline.js');
const CLI_RUNS = 10;
const RESTARTS = 5;
const SETTLE_MS = 3_000;
const PHASE_RUNS = 3;
const PHASES_SOURCE = join(root, 'bench/startup-phases.mjs');
// Bundled as the bin is, where the dependencies kept out of the bundle resolve (and not into the server's dist/,
// which is published).
const PHASES_BUNDLE = join(root, 'node_modules/.cache/flagline-startup-phases');
const PHASES = join(PHASES_BUNDLE, 'startup-phases.js');

interface Phase {
  name: string;
  ms: number;
  cpuMs: number;
  touchedMiB: number;
}

/** Milliseconds per MiB to fill memory the process never touched before (page faults), in a fresh process. */
function touchCostMsPerMiB(): number {
  const script =
    'const b=Buffer.allocUnsafeSlow(64<<20);const t=performance.now();b.fill(1);process.stdout.write(String(performance.now()-t))';
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return round(Number(result.stdout) / 64, 2);
}

/** The median of each restart phase over a few runs of startup-phases.mjs. */
function restartPhases(dataDir: string): Phase[] {
  const bundling = spawnSync(
    process.execPath,
    [join(root, 'packages/server/scripts/bundle-cli.js'), PHASES_SOURCE, PHASES_BUNDLE],
    { encoding: 'utf8' },
  );
  if (bundling.status !== 0) throw new Error(`bundling startup-phases.mjs failed: ${bundling.stderr}`);
  const runs = Array.from({ length: PHASE_RUNS }, () => {
    const result = spawnSync(process.execPath, [PHASES, dataDir], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`startup-phases.mjs exited ${result.status}: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { phases: Phase[] }).phases;
  });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return (runs[0] ?? []).map((phase, index) => ({
    name: phase.name,
    ms: median(runs.map((run) => run[index]?.ms ?? 0)),
    cpuMs: median(runs.map((run) => run[index]?.cpuMs ?? 0)),
    touchedMiB: median(runs.map((run) => run[index]?.touchedMiB ?? 0)),
  }));
}

function timeCommand(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: round(kib('VmRSS') / 1024), peakRssMiB: round(kib('VmHWM') / 1024) };
}

/** CPU time (user + system) the process has used: unlike wall time, it hardly moves when other work shares the cores. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface StartSample {
  readyMs: number;
  cpuMsAtReady: number;
  rssAtReadyMiB: number;
  rssSettledMiB: number;
  peakRssMiB: number;
}

async function startToReady(dataDir: string): Promise<StartSample> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, FLAGLINE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn flagline serve');
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`flagline serve exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('flagline serve was not ready within 60 s');
      await sleep(5);
    }
    const readyMs = performance.now() - started;
    const cpuMsAtReady = cpuMsOf(pid);
    const atReady = memoryOf(pid);
    await sleep(SETTLE_MS);
    const settled = memoryOf(pid);
    return {
      readyMs: round(readyMs),
      cpuMsAtReady,
      rssAtReadyMiB: atReady.rssMiB,
      rssSettledMiB: settled.rssMiB,
      peakRssMiB: settled.peakRssMiB,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function benchStartup(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const loadBefore = loadavg().map((value) => round(value, 2));
  const cli = {
    nodeBaselineMs: summarise(Array.from({ length: CLI_RUNS }, () => timeCommand(['-e', '']))),
    helpMs: summarise(Array.from({ length: CLI_RUNS }, () => timeCommand([BIN, '--help']))),
    versionMs: summarise(Array.from({ length: CLI_RUNS }, () => timeCommand([BIN, '--version']))),
    serveHelpMs: summarise(Array.from({ length: CLI_RUNS }, () => timeCommand([BIN, 'serve', '--help']))),
  };
  log(`node -e '' p50 ${cli.nodeBaselineMs.p50} ms · flagline --help p50 ${cli.helpMs.p50} ms (max ${cli.helpMs.max})`);

  const dataDir = mkdtempSync(join(tmpdir(), 'flagline-bench-startup-'));
  try {
    const first = await startToReady(dataDir);
    log(
      `first start to /readyz ${first.readyMs} ms (CPU ${first.cpuMsAtReady} ms), RSS ${first.rssAtReadyMiB} → ${first.rssSettledMiB} MiB`,
    );
    const restarts: StartSample[] = [];
    for (let run = 0; run < RESTARTS; run++) {
      const sample = await startToReady(dataDir);
      restarts.push(sample);
      log(
        `restart ${run + 1} to /readyz ${sample.readyMs} ms (CPU ${sample.cpuMsAtReady} ms), RSS ${sample.rssSettledMiB} MiB`,
      );
    }
    const phases = restartPhases(dataDir);
    for (const phase of phases) {
      log(`  ${phase.name}: ${phase.ms} ms (CPU ${phase.cpuMs} ms, touched ${phase.touchedMiB} MiB)`);
    }
    const touchMsPerMiB = touchCostMsPerMiB();
    log(`touching fresh memory costs ${touchMsPerMiB} ms per MiB here`);
    const result = {
      database: 'pglite',
      commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map((value) => round(value, 2)),
      targets: { helpMs: 300, firstStartMs: 3000, restartMs: 1500 },
      cli,
      firstStart: first,
      restart: {
        readyMs: summarise(restarts.map((sample) => sample.readyMs)),
        cpuMsAtReady: summarise(restarts.map((sample) => sample.cpuMsAtReady)),
        rssSettledMiB: summarise(restarts.map((sample) => sample.rssSettledMiB)),
        peakRssMiB: summarise(restarts.map((sample) => sample.peakRssMiB)),
        samples: restarts,
        phases,
      },
      touchMsPerMiB,
    };
    log(`wrote ${writeResult('startup', result)}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
