import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Backlog } from '../background/backlog';
import type { DatabaseState } from '../db/health';

/** One registry per process: what GET /metrics serves. */
export const registry = new Registry();
// Unprefixed (process_cpu_seconds_total, nodejs_heap_size_used_bytes …), as the standard Node.js dashboards expect.
collectDefaultMetrics({ register: registry });

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

export const auditSealLag = new Histogram({
  name: 'flagline_audit_seal_lag_seconds',
  help: 'Time from an audit event being written to its place in the hash chain (sealed)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
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
  // A relay with --workers reports its most outdated worker.
  aggregator: 'min',
  collect() {
    const snapshot = snapshotSource?.();
    if (snapshot) this.set(snapshot.version);
  },
});

new Gauge({
  name: 'flagline_snapshot_age_seconds',
  help: 'Seconds since the snapshot was last confirmed current (refreshed or its version checked)',
  registers: [registry],
  aggregator: 'max',
  collect() {
    const snapshot = snapshotSource?.();
    if (snapshot) this.set((Date.now() - snapshot.checkedAt.getTime()) / 1000);
  },
});

interface DatabaseSource {
  check(): Promise<DatabaseState>;
  backlog(): Promise<Backlog>;
}

let databaseSource: DatabaseSource | undefined;
let backlogRead: { at: number; result: Promise<Backlog | undefined> } | undefined;

/** The database gauges query it when scraped (a scrape reads the backlog once for its three gauges). */
export function observeDatabase(source: DatabaseSource): void {
  databaseSource = source;
  backlogRead = undefined;
}

/** The backlog, read at most once a second; undefined when the database cannot say. */
function currentBacklog(): Promise<Backlog | undefined> {
  const source = databaseSource;
  if (!source) return Promise.resolve(undefined);
  if (!backlogRead || Date.now() - backlogRead.at > 1_000) {
    backlogRead = { at: Date.now(), result: source.backlog().catch(() => undefined) };
  }
  return backlogRead.result;
}

new Gauge({
  name: 'flagline_database_up',
  help: '1 when the database answered a probe at scrape time (within 1 s), else 0; evaluation is served from memory meanwhile',
  registers: [registry],
  async collect() {
    const state = await databaseSource?.check();
    if (state) this.set(state.up ? 1 : 0);
  },
});

const backlogGauge = (name: string, help: string, pick: (backlog: Backlog) => number) =>
  new Gauge({
    name,
    help: `${help} (NaN when the database cannot be read)`,
    registers: [registry],
    async collect() {
      if (!databaseSource) return;
      const backlog = await currentBacklog();
      this.set(backlog ? pick(backlog) : Number.NaN);
    },
  });

backlogGauge('flagline_schedules_pending', 'Schedules waiting to be applied, due or not', (b) => b.pendingSchedules);
backlogGauge(
  'flagline_schedules_due',
  'Pending schedules whose time has come but that are not applied yet',
  (b) => b.dueSchedules,
);
backlogGauge(
  'flagline_webhook_deliveries_pending',
  'Webhook deliveries not yet made (first attempt or retry)',
  (b) => b.pendingWebhookDeliveries,
);

backlogGauge(
  'flagline_audit_events_unsealed',
  'Committed audit events not yet sealed into the hash chain',
  (b) => b.unsealedAuditEvents,
);
