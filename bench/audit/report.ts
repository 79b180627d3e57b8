import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { root } from '../lib';
import { TARGET } from './common';
import type { CpuSplit } from './cpu';

type Figures = Record<keyof typeof TARGET, number>;
type Stage = 'verify' | 'query' | 'export' | 'writers' | 'creation' | 'drain';

/** Which targets are floors (throughput, ratio) and which are ceilings (latency). */
const CEILINGS = new Set<keyof typeof TARGET>(['queryP99Ms', 'sealLagP99Ms']);
const STAGE_OF: Record<keyof typeof TARGET, Stage> = {
  queryP99Ms: 'query',
  exportEventsPerSecond: 'export',
  verifyEventsPerSecond: 'verify',
  concurrentAuditedVsPlain: 'writers',
  sealLagP99Ms: 'writers',
  scheduleCreationPerSecond: 'creation',
  drainSchedulesPerSecond: 'drain',
};

/**
 * What the CPU split says limits a stage: the busiest process when it nears a full core (one process cannot use
 * more), the machine when all together near its cores, otherwise waiting (round trips, locks, commits).
 */
export function limitOf(cpu: CpuSplit, cores = 2): string {
  const sides = [...Object.entries(cpu.nodeCores), ['postgres', cpu.postgresCores] as const];
  const total = sides.reduce((sum, [, used]) => sum + used, 0);
  const [busiest, used] = [...sides].sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
  const split = sides.map(([name, value]) => `${name} ${value}`).join(', ');
  if (cpu.machineCores >= cores * 0.9 && total < cores * 0.6) {
    return `a starved machine: ${cpu.machineCores} of ${cores} cores busy machine-wide but only ${Math.round(total * 100) / 100} for this stage (${split}) — other processes held the CPU; rerun on a quiet machine`;
  }
  if (busiest !== 'postgres' && used >= 0.8) {
    return `CPU of one Node process: ${busiest} used ${used} of its 1 core (${split} cores; see its profile)`;
  }
  if (total >= cores * 0.8)
    return `the machine's CPU: ${Math.round(total * 100) / 100} of ${cores} cores busy (${split})`;
  if (busiest === 'postgres' && used >= 0.8) return `PostgreSQL CPU: ${used} cores (${split})`;
  return `waiting, not CPU: ${Math.round(total * 100) / 100} of ${cores} cores busy (${split}) — round trips, locks or commits`;
}

export function judge(
  figures: Figures,
  cpu: Record<Stage, CpuSplit>,
  notes: Partial<Record<keyof typeof TARGET, string>> = {},
) {
  const met = {} as Record<keyof typeof TARGET, boolean>;
  const measured = {} as Record<keyof typeof TARGET, string>;
  for (const key of Object.keys(TARGET) as (keyof typeof TARGET)[]) {
    const value = figures[key];
    const target = TARGET[key];
    const ceiling = CEILINGS.has(key);
    met[key] = ceiling ? value <= target : value >= target;
    const ratio = ceiling
      ? `${Math.round((value / target) * 10) / 10}x the ceiling`
      : `${Math.round((value / target) * 100)}% of the target`;
    measured[key] = met[key]
      ? `${value} (target ${target}): met`
      : `${value} (target ${target}): ${ratio}; limited by ${limitOf(cpu[STAGE_OF[key]])}${notes[key] ? `; ${notes[key]}` : ''}`;
  }
  return { target: TARGET, met, measured, meetsTarget: Object.values(met).every(Boolean) };
}

/** bench/results/audit.md: the latest run as a table, pointing at its JSON for the profiles. */
export function writeSummary(
  resultPath: string,
  events: number,
  figures: Figures,
  verdict: ReturnType<typeof judge>,
  loadAverage: { before: number[]; after: number[] },
): void {
  const rows = (Object.keys(TARGET) as (keyof typeof TARGET)[]).map(
    (key) =>
      `| ${key} | ${figures[key]} | ${CEILINGS.has(key) ? '≤' : '≥'} ${TARGET[key]} | ${verdict.met[key] ? 'yes' : 'no'} | ${verdict.measured[key].replace(/\|/g, '/')} |`,
  );
  const text = [
    '# Audit benchmark (issue #15 item 4)',
    '',
    `Latest run: \`${basename(resultPath)}\`, ${events.toLocaleString('en')} events, load average ${loadAverage.before.join(' ')} before, ${loadAverage.after.join(' ')} after (2 shared cores).`,
    '',
    'Run it: `npm run build:packages && npm run bench -- audit` (PostgreSQL at BENCH_DATABASE_URL, default',
    'postgres://postgres@127.0.0.1:5432/postgres; BENCH_AUDIT_EVENTS=100000 for a smaller trail; BENCH_AUDIT_PROFILE=0',
    "without CPU profiles). The JSON holds each stage's CPU split (Node processes and PostgreSQL backends, cores used)",
    'and a CPU profile summary of the server or workers: the "limited by" column is read from those, not guessed.',
    '',
    '| figure | measured | target | met | how far, and what limits it |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(root, 'bench/results/audit.md'), text);
}
