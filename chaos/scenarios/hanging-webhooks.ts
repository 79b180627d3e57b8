import { startReceiver } from '../../packages/server/test/helpers/webhook-receiver';
import { ADMIN_TOKEN, adminClient, createFlags, flagKeys, inParallel, percentile, sleep } from '../admin';
import {
  checkHistory,
  firstFew,
  outcomeDisagreements,
  ScenarioReport,
  scheduleOutcomes,
  waitForDrain,
  withClient,
} from '../checks';
import type { PrivateCluster } from '../cluster';
import { Fleet } from '../fleet';

const HANGING = 24;
const GOOD = 2;
const FLAGS = 20;
const SCHEDULES = 600;
const WINDOW_MS = 15_000;
const LEAD_MS = 2_000;
const CREATORS = 10;
const SHUTDOWN_BUDGET_MS = 10_000;
const GOOD_P99_BUDGET_MS = 1_000;

async function rows<Row extends Record<string, unknown>>(url: string, query: string): Promise<Row[]> {
  return withClient(url, async (client) => (await client.query<Row>(query)).rows);
}

async function scalar(url: string, query: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ n: number }>(query);
    return result.rows[0]?.n ?? 0;
  });
}

/**
 * 24 webhook endpoints that accept the connection and never answer, next to 2 healthy ones, while two workers drain
 * 600 schedules (each change an event for all 26 endpoints) with default webhook settings (10 s send timeout). A
 * worker is stopped with SIGTERM in the middle of the drain, the rest at the end. Good receivers must keep getting
 * events fast (p99 ≤ 1 s from the event's commit), every process must exit within 10 s of SIGTERM, and no schedule
 * or event may be lost or doubled.
 */
export async function hangingWebhooksScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('24 hanging webhook receivers during a schedule drain, and shutdown');
  const url = await cluster.createDatabase('chaos_hanging_webhooks');
  const hanging = await startReceiver(() => 'hang');
  const good = await startReceiver(() => 200);
  const fleet = new Fleet({
    DATABASE_URL: url,
    FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
  });
  try {
    const api = await fleet.addServe('api');
    const admin = adminClient(api.url as string);
    const keys = flagKeys('hooks', FLAGS);
    await createFlags(admin, keys);
    for (let i = 0; i < HANGING; i++) await admin.createWebhook({ url: `${hanging.url}/hang-${i}` });
    const goodIds: string[] = [];
    for (let i = 0; i < GOOD; i++) goodIds.push((await admin.createWebhook({ url: `${good.url}/good-${i}` })).id);
    const [worker1, worker2] = await Promise.all([fleet.addWorker('worker-1'), fleet.addWorker('worker-2')]);
    report.step(
      `an API instance and 2 workers; ${FLAGS} flags; ${HANGING} webhooks whose receiver never answers and ${GOOD} healthy ones, all for every event; default webhook settings (10 s timeout, 4 sends in flight per endpoint per process)`,
    );

    const start = Date.now() + LEAD_MS;
    const plan = Array.from({ length: SCHEDULES }, (_, i) => ({
      key: keys[i % FLAGS] as string,
      at: start + Math.floor((i * WINDOW_MS) / SCHEDULES),
      updates: { enabled: i % 3 !== 0, rolloutPercentage: (i * 7) % 101 },
    }));
    await inParallel(CREATORS, plan, async (item) => {
      item.at = Math.max(item.at, Date.now() + 1_500);
      await admin.createSchedule(item.key, { scheduledAt: new Date(item.at).toISOString(), updates: item.updates });
    });
    report.step(`created ${SCHEDULES} schedules due over ${WINDOW_MS / 1000} s while the workers deliver`);

    // Mid-drain: stop one worker while its sends to the hanging receivers are in flight.
    for (const since = Date.now(); ; await sleep(100)) {
      const applied = await scalar(url, `select count(*)::int as n from flag_schedules where status = 'applied'`);
      if (applied >= SCHEDULES / 2) break;
      if (Date.now() - since > 60_000) throw new Error(`the drain stalled at ${applied} applied`);
    }
    const hangingAtStop = hanging.hanging().length;
    const midDrain = await fleet.terminate(worker1 as NonNullable<typeof worker1>);
    report.step(
      `worker-1 got SIGTERM at half the drain with ${hangingAtStop} requests hanging: exited ${midDrain.code ?? midDrain.signal} after ${midDrain.ms} ms`,
    );

    const pending = await waitForDrain(url, 90_000);
    const goodList = goodIds.map((id) => `'${id}'`).join(',');
    for (const since = Date.now(); Date.now() - since < 60_000; await sleep(200)) {
      const left = await scalar(
        url,
        `select count(*)::int as n from webhook_deliveries where status <> 'delivered' and webhook_id in (${goodList})`,
      );
      if (left === 0) break;
    }
    const hangingAtEnd = hanging.hanging().length;
    const [apiExit, worker2Exit] = await Promise.all([
      fleet.terminate(api),
      fleet.terminate(worker2 as NonNullable<typeof worker2>),
    ]);
    report.step(
      `drain over; SIGTERM to the API instance and worker-2 with ${hangingAtEnd} requests hanging: exited after ${apiExit.ms} ms and ${worker2Exit.ms} ms`,
    );

    // Delivery latency at the good receivers: first arrival of each event, from the event's commit.
    const latencies: number[] = [];
    const seen = new Set<string>();
    for (const request of good.requests) {
      const key = `${request.path} ${request.headers['webhook-id']}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const occurredAt = Date.parse((JSON.parse(request.body) as { occurredAt: string }).occurredAt);
      latencies.push(request.at - occurredAt);
    }
    const expected = await scalar(
      url,
      `select count(*)::int as n from webhook_deliveries where webhook_id in (${goodList})`,
    );
    const delivered = await scalar(
      url,
      `select count(*)::int as n from webhook_deliveries where status = 'delivered' and webhook_id in (${goodList})`,
    );
    // Where the time goes: commit → sealed (the sealer creates the delivery row) → sent.
    const stages = await rows<{ sealedMs: number; sentMs: number }>(
      url,
      `select extract(epoch from (d.created_at - e.occurred_at)) * 1000 as "sealedMs",
              extract(epoch from (d.delivered_at - d.created_at)) * 1000 as "sentMs"
       from webhook_deliveries d join audit_events e on e.id = d.event_id
       where d.status = 'delivered' and d.webhook_id in (${goodList})`,
    );
    const stage = (values: number[]) =>
      `p50 ${Math.round(percentile(values, 50))} ms, p99 ${Math.round(percentile(values, 99))} ms`;
    report.step(
      `good deliveries: commit → sealed ${stage(stages.map((row) => Number(row.sealedMs)))}; sealed → delivered ${stage(stages.map((row) => Number(row.sentMs)))}`,
    );
    const p = (q: number) => Math.round(percentile(latencies, q));
    report.figures.goodDeliveryMs = { count: latencies.length, p50: p(50), p95: p(95), p99: p(99), max: p(100) };
    report.check(
      'good receivers got every event',
      seen.size === expected && delivered === expected && expected > 0,
      `${seen.size} distinct events arrived for ${expected} deliveries to the ${GOOD} good endpoints (${delivered} recorded delivered)`,
    );
    report.check(
      `good receivers: p99 delivery ≤ ${GOOD_P99_BUDGET_MS} ms while ${HANGING} receivers hang`,
      p(99) <= GOOD_P99_BUDGET_MS,
      `from commit to arrival: p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms, max ${p(100)} ms over ${latencies.length} deliveries`,
    );

    const exits = { 'worker-1 (mid-drain)': midDrain, api: apiExit, 'worker-2': worker2Exit };
    report.figures.shutdownMs = Object.fromEntries(Object.entries(exits).map(([name, exit]) => [name, exit.ms]));
    report.figures.hangingRequestsAtSigterm = { midDrain: hangingAtStop, end: hangingAtEnd };
    report.check(
      `every process exits within ${SHUTDOWN_BUDGET_MS / 1000} s of SIGTERM while receivers hang`,
      Object.values(exits).every((exit) => exit.code === 0 && exit.ms <= SHUTDOWN_BUDGET_MS) && hangingAtStop > 0,
      Object.entries(exits)
        .map(([name, exit]) => `${name}: exit ${exit.code ?? exit.signal} after ${exit.ms} ms`)
        .join('; '),
    );
    const leases = await scalar(url, 'select count(*)::int as n from webhook_deliveries where lease_token is not null');
    const stillPending = await scalar(
      url,
      `select count(*)::int as n from webhook_deliveries where status = 'pending'`,
    );
    report.figures.hangingDeliveriesLeftPending = stillPending;
    report.check(
      'no lease left held after shutdown',
      leases === 0,
      `${leases} leased deliveries; ${stillPending} deliveries to the hanging endpoints wait, due again, for the next process`,
    );

    const outcomes = await scheduleOutcomes(url);
    const problems = outcomeDisagreements(outcomes);
    const applied = outcomes.filter((outcome) => outcome.status === 'applied').length;
    report.check(
      'every schedule applied exactly once',
      pending === 0 && problems.length === 0 && applied === SCHEDULES,
      `${applied}/${SCHEDULES} applied, ${pending} pending${firstFew(problems)}`,
    );
    await checkHistory(report, url);
    return report;
  } finally {
    await fleet.stop();
    await hanging.close();
    await good.close();
  }
}
