import { ADMIN_TOKEN, adminClient, createFlags, ENVIRONMENT, flagKeys, inParallel, sleep } from '../admin';
import {
  checkHistory,
  firstFew,
  outcomeDisagreements,
  ScenarioReport,
  scheduleOutcomes,
  servesDatabaseState,
  waitForDrain,
  withClient,
} from '../checks';
import type { PrivateCluster } from '../cluster';
import { Fleet } from '../fleet';

const SCHEDULES = 5_000;
const FLAGS = 50;
const WINDOW_MS = 10_000;
const LEAD_MS = 2_000;
const CREATORS = 20;

async function appliedCount(url: string): Promise<number | undefined> {
  try {
    return await withClient(url, async (client) => {
      const result = await client.query<{ n: number }>(
        `select count(*)::int as n from flag_schedules where status = 'applied'`,
      );
      return result.rows[0]?.n ?? 0;
    });
  } catch {
    return undefined; // the server is down
  }
}

/**
 * 5,000 schedules fall due over 20 s while an API instance and two workers run; PostgreSQL is restarted twice in the
 * middle of it — once cleanly (fast shutdown), once by crashing it (immediate: recovery from the WAL). Nobody restarts
 * Flagline: its processes must ride it out, and every schedule must be applied exactly once.
 */
export async function pgRestartScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('PostgreSQL restarted twice during a 5,000-schedule drain');
  const url = await cluster.createDatabase('chaos_pg_restart');
  const fleet = new Fleet({ DATABASE_URL: url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
  try {
    const api = await fleet.addServe('api');
    const apiUrl = api.url as string;
    const admin = adminClient(apiUrl);
    const keys = flagKeys('restart', FLAGS);
    await createFlags(admin, keys);
    report.step(`an API instance on a private PostgreSQL (port ${cluster.port}); ${FLAGS} flags`);

    // Due every 2 ms from LEAD_MS on, created in due order, each in the future when created. The workers start once
    // all exist, so they face a backlog of 5,000 to drain.
    const start = Date.now() + LEAD_MS;
    const plan = Array.from({ length: SCHEDULES }, (_, i) => ({
      key: keys[i % FLAGS] as string,
      at: start + Math.floor((i * WINDOW_MS) / SCHEDULES),
      updates: { enabled: i % 3 !== 0, rolloutPercentage: (i * 7) % 101 },
    }));
    const createStarted = performance.now();
    let late = 0;
    await inParallel(CREATORS, plan, async (item) => {
      // 1.5 s ahead at least: on a loaded machine the request can take longer than a shorter lead to be validated.
      const at = Math.max(item.at, Date.now() + 1_500);
      if (at !== item.at) late++;
      item.at = at;
      await admin.createSchedule(item.key, { scheduledAt: new Date(at).toISOString(), updates: item.updates });
    });
    const createSeconds = (performance.now() - createStarted) / 1000;
    report.step(
      `created ${SCHEDULES} schedules in ${createSeconds.toFixed(1)} s (${Math.round(SCHEDULES / createSeconds)}/s), due over ${WINDOW_MS / 1000} s${late ? `; ${late} moved later to stay in the future` : ''}`,
    );
    const { secret } = await admin.createToken({ name: 'app', role: 'client', environment: ENVIRONMENT });
    const statusOf = async (path: string, token: string) => {
      try {
        const response = await fetch(`${apiUrl}${path}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(5_000),
        });
        await response.arrayBuffer();
        return String(response.status);
      } catch (error) {
        return `no answer (${String(error)})`;
      }
    };
    await statusOf('/api/config/flags?userId=user-1', secret);
    /** What applications and admins get from the API while PostgreSQL is down. */
    const duringOutage = { evaluation: new Map<string, number>(), admin: new Map<string, number>() };
    const probeWhileDown = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const [evaluation, adminRead] = await Promise.all([
          statusOf(`/api/config/flags?userId=user-${Date.now() % 1000}`, secret),
          statusOf('/api/admin/flags', ADMIN_TOKEN),
        ]);
        duringOutage.evaluation.set(evaluation, (duringOutage.evaluation.get(evaluation) ?? 0) + 1);
        duringOutage.admin.set(adminRead, (duringOutage.admin.get(adminRead) ?? 0) + 1);
        await sleep(100);
      }
    };
    await Promise.all([fleet.addWorker('worker-1'), fleet.addWorker('worker-2')]);
    report.step('2 workers started: the drain begins');

    const restarts: Array<{ mode: string; atApplied: number; downMs: number; firstApplyAfterMs: number | null }> = [];
    for (const [mode, share] of [
      ['fast', 0.25],
      ['immediate', 0.6],
    ] as const) {
      const waitingSince = Date.now();
      for (;;) {
        const applied = (await appliedCount(url)) ?? 0;
        if (applied >= SCHEDULES * share) break;
        if (Date.now() - waitingSince > 60_000) {
          const logs = fleet.members.map((m) => `${m.name}:\n${m.process.stderr().slice(-3_000)}`).join('\n');
          throw new Error(`the drain stalled at ${applied} applied\n${logs}`);
        }
        await sleep(50);
      }
      const atApplied = (await appliedCount(url)) ?? 0;
      const down = performance.now();
      await cluster.stop(mode);
      await probeWhileDown(2_000);
      await cluster.start();
      const downMs = Math.round(performance.now() - down);
      const back = performance.now();
      let whenBack: number | undefined;
      while (whenBack === undefined && performance.now() - back < 10_000) whenBack = await appliedCount(url);
      let firstApplyAfterMs: number | null = null;
      while (performance.now() - back < 60_000) {
        const applied = await appliedCount(url);
        if (applied !== undefined && whenBack !== undefined && applied > whenBack) {
          firstApplyAfterMs = Math.round(performance.now() - back);
          break;
        }
        await sleep(20);
      }
      restarts.push({ mode, atApplied, downMs, firstApplyAfterMs });
      report.step(
        `PostgreSQL ${mode === 'fast' ? 'restarted (fast shutdown)' : 'crashed (immediate) and restarted'} at ${atApplied} applied; down ${downMs} ms; first schedule applied ${firstApplyAfterMs ?? '—'} ms after it came back`,
      );
    }

    const drainStarted = performance.now();
    const pending = await waitForDrain(url, 120_000);
    report.figures.restarts = restarts;
    report.figures.drainAfterLastRestartMs = Math.round(performance.now() - drainStarted);

    const outcomes = await scheduleOutcomes(url);
    const problems = outcomeDisagreements(outcomes);
    const appliedOnce = outcomes.filter((o) => o.status === 'applied' && o.applied === 1).length;
    const retried = outcomes.reduce((sum, o) => sum + o.retrying, 0);
    report.figures.retryingEvents = retried;
    report.check(
      'every schedule applied exactly once',
      pending === 0 && outcomes.length === SCHEDULES && appliedOnce === SCHEDULES && problems.length === 0,
      `${appliedOnce}/${SCHEDULES} applied with exactly one applied event, ${pending} still pending, ${retried} retry events${firstFew(problems)}`,
    );

    const lastDue = new Map<string, { enabled: boolean; rolloutPercentage: number }>();
    for (const item of [...plan].sort((a, b) => a.at - b.at)) lastDue.set(item.key, item.updates);
    const finalStates = await withClient(url, (client) =>
      client.query<{ key: string; enabled: boolean; rollout_percentage: number }>(
        `select f.key, s.enabled, s.rollout_percentage from flag_states s join flags f on f.id = s.flag_id
         where s.environment = $1`,
        [ENVIRONMENT],
      ),
    );
    const wrongFinal = finalStates.rows.filter((row) => {
      const want = lastDue.get(row.key);
      return !want || want.enabled !== row.enabled || want.rolloutPercentage !== row.rollout_percentage;
    });
    report.check(
      "each flag ends in its last-due schedule's state",
      wrongFinal.length === 0,
      `${FLAGS - wrongFinal.length}/${FLAGS} flags`,
    );

    await checkHistory(report, url, SCHEDULES);

    const crashes = fleet.crashes();
    report.check(
      'no Flagline process exited; all recovered by themselves',
      crashes.length === 0,
      crashes.length === 0
        ? 'api and both workers ran throughout'
        : crashes.map((c) => `${c.name} exited ${c.code ?? c.signal}: ${c.stderr.slice(-300)}`).join(' | '),
    );

    const statuses = (counts: Map<string, number>) =>
      [...counts].map(([status, n]) => `${status} ×${n}`).join(', ') || 'none';
    report.figures.duringOutage = {
      evaluation: Object.fromEntries(duringOutage.evaluation),
      admin: Object.fromEntries(duringOutage.admin),
    };
    report.check(
      'while PostgreSQL was down, evaluation kept answering from memory and admin requests got 503',
      [...duringOutage.evaluation.keys()].every((status) => status === '200') &&
        [...duringOutage.admin.keys()].every((status) => status === '503'),
      `evaluation: ${statuses(duringOutage.evaluation)}; admin reads: ${statuses(duringOutage.admin)}`,
    );

    const served = await servesDatabaseState(apiUrl, ADMIN_TOKEN, url, ENVIRONMENT, 15_000);
    report.check(
      "the API instance serves the database's state",
      served.ok,
      `${served.detail}${served.ok ? `, ${served.afterMs} ms after the drain` : ''}`,
    );
    let patched = 'ok';
    try {
      const view = await admin.updateFlag(keys[0] as string, { rolloutPercentage: 42 });
      patched = `PATCH through the API after both restarts → version ${view.version}`;
    } catch (error) {
      patched = `PATCH failed: ${String(error)}`;
    }
    report.check('the API instance takes changes again', patched.startsWith('PATCH through'), patched);
    return report;
  } finally {
    await fleet.stop();
  }
}
