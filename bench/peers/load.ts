import autocannon from 'autocannon';
import { median, round } from '../lib';

export type System = 'unleash' | 'flagline';

/** One endpoint under load; `path`/`body` get a running request number so every request can vary its user. */
export interface LoadTarget {
  name: string;
  system: System;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  path: (n: number) => string;
  body?: (n: number) => string;
}

export interface RoundResult {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  bytesPerResponse: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

export interface TargetResult {
  name: string;
  system: System;
  /** Median of the rounds (requests/s and p99 each on their own). */
  requestsPerSecond: number;
  p99Ms: number;
  p50Ms: number;
  bytesPerResponse: number;
  errors: number;
  non2xx: number;
  rounds: RoundResult[];
}

export interface LoadOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
}

export async function hit(target: LoadTarget, connections: number, durationS: number): Promise<RoundResult> {
  let n = 0;
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationS,
    headers: target.headers,
    requests: [
      {
        method: target.method,
        setupRequest: (request) => {
          const i = n++;
          return { ...request, path: target.path(i), ...(target.body ? { body: target.body(i) } : {}) };
        },
      },
    ],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    bytesPerResponse: result.requests.total > 0 ? Math.round(result.throughput.total / result.requests.total) : 0,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
  };
}

/**
 * Alternates the targets round by round (A B C, then C B A, …) so drift on the shared machine — a burst from
 * elsewhere, a GC-heavy phase, thermal state — lands on every system rather than on whichever ran last.
 */
export async function alternate(
  targets: LoadTarget[],
  options: LoadOptions,
  progress: (line: string) => void,
): Promise<TargetResult[]> {
  for (const target of targets) await hit(target, options.connections, options.warmupS); // JIT, caches, sockets
  const rounds = new Map<string, RoundResult[]>(targets.map((target) => [target.name, []]));
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const result = await hit(target, options.connections, options.durationS);
      rounds.get(target.name)?.push(result);
      const bad = result.errors + result.non2xx > 0 ? ` errors ${result.errors} non-2xx ${result.non2xx}` : '';
      progress(
        `round ${r + 1}/${options.rounds} ${target.name}: ${result.requestsPerSecond} req/s, p99 ${result.latencyMs.p99} ms${bad}`,
      );
    }
  }
  return targets.map((target) => {
    const results = rounds.get(target.name) ?? [];
    return {
      name: target.name,
      system: target.system,
      requestsPerSecond: Math.round(median(results.map((result) => result.requestsPerSecond))),
      p99Ms: round(median(results.map((result) => result.latencyMs.p99))),
      p50Ms: round(median(results.map((result) => result.latencyMs.p50))),
      bytesPerResponse: Math.round(median(results.map((result) => result.bytesPerResponse))),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
      rounds: results,
    };
  });
}
