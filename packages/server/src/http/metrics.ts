import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process: what GET /metrics serves. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'flagline_' });

export const httpDuration = new Histogram({
  name: 'flagline_http_request_duration_seconds',
  help: 'HTTP request latency by route',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const evaluations = new Counter({
  name: 'flagline_evaluations_total',
  help: 'Flag evaluations served remotely, by endpoint',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

export const sseConnections = new Gauge({
  name: 'flagline_sse_connections',
  help: 'Open Server-Sent Events streams',
  registers: [registry],
});

export const scheduleLateness = new Histogram({
  name: 'flagline_schedule_lateness_seconds',
  help: 'How late schedules were applied (appliedAt - due time)',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
  registers: [registry],
});

export const schedulesProcessed = new Counter({
  name: 'flagline_schedules_processed_total',
  help: 'Schedules processed by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

let snapshotSource: (() => { version: number; checkedAt: Date } | undefined) | undefined;

/** The snapshot gauges read the live snapshot when scraped. */
export function observeSnapshot(source: () => { version: number; checkedAt: Date } | undefined): void {
  snapshotSource = source;
}

new Gauge({
  name: 'flagline_snapshot_version',
  help: 'Config version of the in-memory snapshot',
  registers: [registry],
  collect() {
    const snapshot = snapshotSource?.();
    if (snapshot) this.set(snapshot.version);
  },
});

new Gauge({
  name: 'flagline_snapshot_age_seconds',
  help: 'Seconds since the snapshot was last confirmed current (refreshed or its version checked)',
  registers: [registry],
  collect() {
    const snapshot = snapshotSource?.();
    if (snapshot) this.set((Date.now() - snapshot.checkedAt.getTime()) / 1000);
  },
});
