import type { FlagView, Plan, Schedule } from '@flagline/core';
import { ADMIN_TOKEN, adminClient, classify, createFlags, ENVIRONMENT, flagKeys, sleep } from '../admin';
import {
  checkHistory,
  firstFew,
  outcomeDisagreements,
  recurringDisagreements,
  ScenarioReport,
  scheduleOutcomes,
  servesDatabaseState,
  waitForDrain,
  withClient,
} from '../checks';
import type { PrivateCluster } from '../cluster';
import { Fleet } from '../fleet';
import { planDisagreements } from '../plan-checks';

const STORM_MS = 60_000;
const FLAGS = 30;
const ADMINS = 6;
const KILL_GAP_MS: [number, number] = [1_000, 3_000];
/** Recurring schedules running through the storm: every 2 s, RECURRING_COUNT times each. */
const RECURRING = 10;
const RECURRING_COUNT = 25;

const between = (low: number, high: number) => low + Math.random() * (high - low);
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)] as T;

interface Tally {
  acknowledged: number;
  rejected: number;
  unknown: number;
}

/**
 * Recurring schedules on the first flags. The API takes minute crons; a six-field cron (croner's leading seconds) read
 * by the same occurrence code gives many occurrences within the storm.
 */
async function addRecurring(url: string, keys: string[]): Promise<void> {
  const first = new Date(Math.ceil((Date.now() + 3_000) / 2_000) * 2_000);
  const recurrence = { kind: 'cron', cron: '*/2 * * * * *', timeZone: 'Europe/Berlin', count: RECURRING_COUNT };
  await withClient(url, (client) =>
    client.query(
      `insert into flag_schedules (flag_id, flag_key, environment, scheduled_at, updates, recurrence)
       select f.id, f.key, $1, $2, jsonb_build_object('rolloutPercentage', 50), $3
       from flags f where f.key in (select unnest($4::text[]))`,
      [ENVIRONMENT, first.toISOString(), JSON.stringify(recurrence), keys],
    ),
  );
}

/**
 * Two API instances and two workers, each SIGKILLed at random (every 1–3 s one of them) for 60 s and started again
 * by a supervisor, while six admins change flags and schedule changes through whichever instance answers. A request
 * that got an answer must be on record exactly as answered; one that got none may or may not have happened, but
 * whatever happened must be whole: every version bump with its audit event, no schedule applied twice or left behind.
 */
export async function killStormScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('SIGKILL of API instances and workers for 60 s while admins work');
  const url = await cluster.createDatabase('chaos_kill_storm');
  const fleet = new Fleet({ DATABASE_URL: url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
  try {
    const first = await fleet.addServe('api-1');
    await Promise.all([fleet.addServe('api-2'), fleet.addWorker('worker-1'), fleet.addWorker('worker-2')]);
    const urls = fleet.servers().map((member) => member.url as string);
    const keys = flagKeys('storm', FLAGS);
    await createFlags(adminClient(first.url as string), keys);
    report.step(`2 API instances + 2 workers, supervised (restarted 300 ms after they die); ${FLAGS} flags`);
    await addRecurring(url, keys.slice(0, RECURRING));
    report.step(
      `${RECURRING} recurring schedules, every 2 s, ${RECURRING_COUNT} occurrences each (six-field cron, inserted directly)`,
    );

    fleet.supervise(true);
    const until = Date.now() + STORM_MS;
    const patches: FlagView[] = [];
    const schedules: Schedule[] = [];
    const plans: Plan[] = [];
    const tally = {
      patch: { acknowledged: 0, rejected: 0, unknown: 0 },
      schedule: { acknowledged: 0, rejected: 0, unknown: 0 },
      plan: { acknowledged: 0, rejected: 0, unknown: 0 },
    };
    const rejections: string[] = [];
    const count = (t: Tally, error: unknown) => {
      const kind = classify(error);
      t[kind]++;
      if (kind === 'rejected' && rejections.length < 5) rejections.push(String(error));
    };

    const admin = async () => {
      while (Date.now() < until) {
        const client = adminClient(pick(urls), 5_000);
        const key = pick(keys);
        if (Math.random() < 0.7) {
          try {
            patches.push(
              await client.updateFlag(key, {
                enabled: Math.random() < 0.5,
                rolloutPercentage: Math.floor(Math.random() * 101),
              }),
            );
            tally.patch.acknowledged++;
          } catch (error) {
            count(tally.patch, error);
            await sleep(50);
          }
        } else if (Math.random() < 0.33) {
          // A rollout plan of three steps a second or so apart: each step applied once, in order, then completed.
          try {
            const start = Date.now() + between(500, 3_000);
            const steps = [10, 50, 100].map((rolloutPercentage, i) => ({
              scheduledAt: new Date(start + i * between(300, 1_500)).toISOString(),
              updates: { rolloutPercentage },
            }));
            steps.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
            plans.push((await client.createPlan(key, { steps })).plan);
            tally.plan.acknowledged++;
          } catch (error) {
            count(tally.plan, error);
            await sleep(50);
          }
        } else {
          try {
            const scheduledAt = new Date(Date.now() + between(500, 5_000)).toISOString();
            const updates = { enabled: Math.random() < 0.5, rolloutPercentage: Math.floor(Math.random() * 101) };
            schedules.push(await client.createSchedule(key, { scheduledAt, updates }));
            tally.schedule.acknowledged++;
          } catch (error) {
            count(tally.schedule, error);
            await sleep(50);
          }
        }
      }
    };
    const killer = async () => {
      const kills: string[] = [];
      while (Date.now() < until) {
        await sleep(between(...KILL_GAP_MS));
        if (Date.now() >= until) break;
        const victim = pick(fleet.members);
        if (fleet.kill(victim)) kills.push(victim.name);
      }
      return kills;
    };
    const [kills] = await Promise.all([killer(), ...Array.from({ length: ADMINS }, admin)]);
    report.step(
      `${kills.length} SIGKILLs (${fleet.members.map((m) => `${m.name} ×${m.kills}`).join(', ')}); PATCH acknowledged ${tally.patch.acknowledged}, no answer ${tally.patch.unknown}, rejected ${tally.patch.rejected}; schedules acknowledged ${tally.schedule.acknowledged}, no answer ${tally.schedule.unknown}, rejected ${tally.schedule.rejected}; plans acknowledged ${tally.plan.acknowledged}, no answer ${tally.plan.unknown}, rejected ${tally.plan.rejected}`,
    );

    await fleet.waitAllHealthy();
    fleet.supervise(false);
    const pending = await waitForDrain(url, 60_000);
    report.figures.kills = Object.fromEntries(fleet.members.map((m) => [m.name, m.kills]));
    report.figures.requests = tally;

    // 1. Every answer is on record: the version and values a PATCH answered are what the audit history holds for that
    // version. Usually that is the PATCH's own flag.updated event; a PATCH asking for the values the flag already had
    // changes nothing (no event, no bump) and answers the current version, whose event may be a schedule's.
    const recorded = await withClient(url, async (client) => {
      const rows = await client.query<{
        key: string;
        type: string;
        version: number;
        enabled: boolean;
        rollout: number;
      }>(
        `select flag_key as key, type, (after->>'version')::int as version, (after->>'enabled')::boolean as enabled,
                (after->>'rolloutPercentage')::int as rollout
         from audit_events where type in ('flag.updated', 'flag_schedule.applied') and environment = $1`,
        [ENVIRONMENT],
      );
      return new Map(rows.rows.map((row) => [`${row.key}@${row.version}`, row]));
    });
    let unchanged = 0;
    const lostPatches = patches.filter((view) => {
      const event = recorded.get(`${view.key}@${view.version}`);
      const initial = view.version === 1 && !view.enabled && view.rolloutPercentage === 0;
      if (initial || event?.type === 'flag_schedule.applied') unchanged++;
      if (initial) return false;
      return !event || event.enabled !== view.enabled || event.rollout !== view.rolloutPercentage;
    });
    report.check(
      'no acknowledged change lost',
      lostPatches.length === 0 && patches.length > 0,
      `${patches.length - lostPatches.length}/${patches.length} acknowledged PATCHes are in the audit history at the answered version with the answered values (${unchanged} answered a version a schedule or the creation had set: they asked for values the flag already had)${firstFew(lostPatches.map((view) => `${view.key}@${view.version}`))}`,
    );

    const outcomes = await scheduleOutcomes(url);
    const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
    const acknowledgedSteps = plans.flatMap((plan) => plan.steps);
    const missingSchedules = [...schedules, ...acknowledgedSteps].filter(
      (schedule) => byId.get(schedule.id)?.created !== 1,
    );
    report.check(
      'no acknowledged schedule lost',
      missingSchedules.length === 0 && schedules.length > 0,
      `${schedules.length + acknowledgedSteps.length - missingSchedules.length}/${schedules.length + acknowledgedSteps.length} acknowledged schedules and plan steps exist with their created event`,
    );

    const problems = outcomeDisagreements(outcomes);
    const applied = outcomes.filter((o) => o.status === 'applied').length;
    report.check(
      'every schedule applied exactly once, none left behind',
      pending === 0 && problems.length === 0 && applied === outcomes.length,
      `${applied}/${outcomes.length} applied (${outcomes.length - schedules.length - acknowledgedSteps.length} more than acknowledged: created by requests that got no answer), each with one applied event; ${pending} pending${firstFew(problems)}`,
    );

    const recurring = await recurringDisagreements(url);
    report.figures.recurring = { schedules: recurring.schedules, appliedOccurrences: recurring.applied };
    report.check(
      'every recurring occurrence applied at most once, all accounted for, each schedule completed',
      recurring.problems.length === 0 && recurring.schedules === RECURRING,
      `${recurring.schedules} recurring schedules completed, ${recurring.applied} occurrences applied, the rest of ${RECURRING * RECURRING_COUNT} skipped after kills (only the latest missed one applies)${firstFew(recurring.problems)}`,
    );

    const planned = await planDisagreements(url);
    report.figures.plans = { plans: planned.plans, steps: planned.steps };
    report.check(
      'every plan step applied exactly once, in step order, and every plan completed',
      planned.problems.length === 0 && planned.plans >= plans.length && plans.length > 0,
      `${planned.plans} plans (${plans.length} acknowledged) with ${planned.steps} steps${firstFew(planned.problems)}`,
    );

    await checkHistory(report, url);

    const crashes = fleet.crashes();
    report.check(
      'no process died except by our SIGKILLs',
      crashes.length === 0,
      crashes.length === 0
        ? `${fleet.members.reduce((n, m) => n + m.restarts, 0)} restarts, all after a SIGKILL`
        : crashes.map((c) => `${c.name} exited ${c.code ?? c.signal}: ${c.stderr.slice(-300)}`).join(' | '),
    );

    const served = await Promise.all(
      urls.map((apiUrl) => servesDatabaseState(apiUrl, ADMIN_TOKEN, url, ENVIRONMENT, 15_000)),
    );
    report.check(
      "both API instances serve the database's state afterwards",
      served.every((s) => s.ok),
      served.map((s, i) => `api-${i + 1}: ${s.detail}`).join('; '),
    );
    if (rejections.length) report.figures.rejections = rejections;
    return report;
  } finally {
    await fleet.stop();
  }
}
