import { readFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Where a stage's CPU went, measured rather than guessed: CPU seconds (user + system, from /proc) of the Node
 * processes involved and of the PostgreSQL backends serving the bench database, against the stage's wall time. A
 * side near 1 CPU-second per second is saturated (a core of 2); both well under it means the limit is waiting
 * (round trips, locks, fsync), not computing. Needs PostgreSQL on this machine (it is, for the bench); elsewhere the
 * backend figure reads 0.
 */
const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) start after the last ')'; utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function backendPids(adminUrl: string, database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const result = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return result.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/** Busy clock ticks of the whole machine (every process, ours or not), from the first line of /proc/stat. */
function machineBusyTicks(): number {
  try {
    const [, user, nice, system, , , irq, softirq, steal] =
      readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).map(Number) ?? [];
    return [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
  } catch {
    return 0;
  }
}

export interface CpuSplit {
  wallSeconds: number;
  /** Cores busy machine-wide, other sessions' processes included: near the core count, the stage was starved. */
  machineCores: number;
  /** CPU seconds per wall second, per side. */
  nodeCores: Record<string, number>;
  postgresCores: number;
}

/**
 * Starts accounting; `stop()` returns the split. `nodes` names the Node processes (this one is `bench` unless given).
 * Backends are sampled at both ends: those that exist only at the end are counted whole (they started in the stage).
 */
export async function cpuAccount(adminUrl: string, database: string, nodes: Record<string, number | undefined>) {
  const started = performance.now();
  const machineBefore = machineBusyTicks();
  const before = new Map<number, number>();
  for (const pid of await backendPids(adminUrl, database)) before.set(pid, cpuTicks(pid));
  const nodeBefore = Object.fromEntries(Object.entries(nodes).map(([name, pid]) => [name, pid ? cpuTicks(pid) : 0]));
  return {
    async stop(): Promise<CpuSplit> {
      const wall = (performance.now() - started) / 1000;
      let backendTicks = 0;
      for (const pid of await backendPids(adminUrl, database)) backendTicks += cpuTicks(pid) - (before.get(pid) ?? 0);
      const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / wall) * 100) / 100;
      return {
        wallSeconds: Math.round(wall * 100) / 100,
        machineCores: cores(machineBusyTicks() - machineBefore),
        nodeCores: Object.fromEntries(
          Object.entries(nodes).map(([name, pid]) => [name, pid ? cores(cpuTicks(pid) - (nodeBefore[name] ?? 0)) : 0]),
        ),
        postgresCores: cores(backendTicks),
      };
    },
  };
}
