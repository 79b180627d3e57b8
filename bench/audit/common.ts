import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghij';
/** BENCH_AUDIT_EVENTS (default 1,000,000): fewer while iterating on a shared machine. */
export const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
export const FLAGS = 2_000;
/** The generated events are 31 s apart: 1,000,000 of them span ~359 days from here. */
export const START = Date.parse('2025-01-01T00:00:00Z');
export const SPACING_S = 31;

/** Issue #15's targets. */
export const TARGET = {
  scheduleCreationPerSecond: 1_000,
  drainSchedulesPerSecond: 5_000,
  queryP99Ms: 5,
  exportEventsPerSecond: 200_000,
  verifyEventsPerSecond: 200_000,
  concurrentAuditedVsPlain: 0.9,
  sealLagP99Ms: 100,
};

export const log = (message: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
export const load = () => loadavg().map((value) => Math.round(value * 100) / 100);
export const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    n: sorted.length,
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** A tiny deterministic PRNG, so every run asks the same queries. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function adminGet(url: string, path: string): Promise<Response> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${path} → ${response.status} ${await response.text()}`);
  return response;
}

/** A database of its own on the server at `adminUrl`, named `<prefix>_<random>`; `drop()` removes it whatever is left. */
export async function createBenchDatabase(adminUrl: string, prefix: string) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    databaseUrl: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
