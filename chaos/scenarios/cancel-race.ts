import type { Schedule } from '@flagline/core';
import { FlaglineApiError } from '../../packages/sdk/src/errors';
import { ADMIN_TOKEN, adminClient, createFlags, flagKeys, inParallel, sleep } from '../admin';
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

const SCHEDULES = 1_000;
const CLIENTS = 20;
const FLAGS = 50;
const CANCEL_SHARE = 0.5;
/** Cancellations are sent this close to the due time, either side: some win the race, some lose it. */
const CANCEL_SPREAD_MS = 300;

type CancelAnswer = 'cancelled' | 'conflict' | 'other';

interface Attempt {
  schedule: Schedule;
  sentAt: number;
  answer: CancelAnswer;
  detail: string;
}

/**
 * A burst of 1,000 schedule creations from 20 clients, due 1–4 s later, half of them cancelled within ±300 ms of
 * their due time while two workers apply them. Each schedule must end in one final state, matching its audit events
 * and what the cancelling client was told: 200 means it never applied, 409 means it did.
 */
export async function cancelRaceScenario(cluster: PrivateCluster): Promise<ScenarioReport> {
  const report = new ScenarioReport('1,000 schedules from 20 clients, cancellations racing the workers');
  const url = await cluster.createDatabase('chaos_cancel_race');
  const fleet = new Fleet({ DATABASE_URL: url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
  try {
    const api = await fleet.addServe('api');
    await Promise.all([fleet.addWorker('worker-1'), fleet.addWorker('worker-2')]);
    const admin = adminClient(api.url as string);
    const keys = flagKeys('race', FLAGS);
    await createFlags(admin, keys);
    report.step(`an API instance + 2 workers; ${FLAGS} flags`);

    const created: Schedule[] = [];
    const attempts: Promise<Attempt>[] = [];
    const createFailures: string[] = [];
    const cancel = async (schedule: Schedule): Promise<Attempt> => {
      const due = Date.parse(schedule.scheduledAt);
      await sleep(Math.max(0, due + (Math.random() * 2 - 1) * CANCEL_SPREAD_MS - Date.now()));
      const sentAt = Date.now();
      try {
        await admin.cancelSchedule(schedule.flagKey, schedule.id);
        return { schedule, sentAt, answer: 'cancelled', detail: '200' };
      } catch (error) {
        const conflict = error instanceof FlaglineApiError && error.status === 409;
        return { schedule, sentAt, answer: conflict ? 'conflict' : 'other', detail: String(error) };
      }
    };
    const burstStarted = performance.now();
    await inParallel(
      CLIENTS,
      Array.from({ length: SCHEDULES }, (_, i) => i),
      async (i) => {
        try {
          const schedule = await admin.createSchedule(keys[i % FLAGS] as string, {
            scheduledAt: new Date(Date.now() + 1_000 + Math.random() * 3_000).toISOString(),
            updates: { enabled: i % 2 === 0, rolloutPercentage: i % 101 },
          });
          created.push(schedule);
          if (Math.random() < CANCEL_SHARE) attempts.push(cancel(schedule));
        } catch (error) {
          createFailures.push(String(error));
        }
      },
    );
    const burstSeconds = (performance.now() - burstStarted) / 1000;
    report.step(
      `${created.length} created in ${burstSeconds.toFixed(1)} s by ${CLIENTS} clients; ${attempts.length} cancellations on their way`,
    );
    const answered = await Promise.all(attempts);
    const pending = await waitForDrain(url, 60_000);

    const outcomes = await scheduleOutcomes(url);
    const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
    report.check(
      'every creation succeeded and exists',
      createFailures.length === 0 && created.length === SCHEDULES && created.every((s) => byId.has(s.id)),
      `${created.length}/${SCHEDULES} created${firstFew(createFailures)}`,
    );

    const problems = outcomeDisagreements(outcomes);
    const final = { applied: 0, cancelled: 0, other: 0 };
    for (const outcome of outcomes) {
      if (outcome.status === 'applied') final.applied++;
      else if (outcome.status === 'cancelled') final.cancelled++;
      else final.other++;
    }
    report.check(
      'each schedule in exactly one final state, matching its audit events',
      pending === 0 && problems.length === 0 && final.other === 0,
      `${final.applied} applied, ${final.cancelled} cancelled, ${final.other} other; each with one created event and exactly one applied or cancelled event${firstFew(problems)}`,
    );

    const appliedAt = await withClient(url, async (client) => {
      const rows = await client.query<{ id: string; applied_at: Date | null }>(
        'select id::text, applied_at from flag_schedules',
      );
      return new Map(rows.rows.map((row) => [row.id, row.applied_at]));
    });
    const disagreements: string[] = [];
    let won = 0;
    let lost = 0;
    const margins: number[] = [];
    for (const attempt of answered) {
      const status = byId.get(attempt.schedule.id)?.status;
      const at = appliedAt.get(attempt.schedule.id);
      if (attempt.answer === 'cancelled') {
        won++;
        if (status !== 'cancelled') disagreements.push(`${attempt.schedule.id}: told cancelled, is ${status}`);
      } else if (attempt.answer === 'conflict') {
        lost++;
        if (status !== 'applied') disagreements.push(`${attempt.schedule.id}: told 409, is ${status}`);
        if (at) margins.push(attempt.sentAt - at.getTime());
      } else {
        disagreements.push(`${attempt.schedule.id}: ${attempt.detail}`);
      }
    }
    // appliedAt is stamped inside the worker's transaction, after it has claimed (locked) the schedule: a cancellation
    // that arrives in between waits for that commit and then loses, so a 409 can be sent a little before appliedAt.
    const earliestLoss = margins.length ? Math.min(...margins) : Number.NaN;
    report.figures.cancellations = {
      sent: answered.length,
      won,
      lost,
      earliestLossRelativeToAppliedAtMs: earliestLoss,
    };
    report.check(
      'every cancelling client was told the truth',
      disagreements.length === 0,
      `${won} cancelled before the worker got there (200, never applied), ${lost} too late (409, applied${margins.length ? `; the earliest sent ${Math.abs(earliestLoss)} ms ${earliestLoss < 0 ? 'before' : 'after'} the recorded apply time, while the worker held the schedule` : ''})${firstFew(disagreements)}`,
    );

    await checkHistory(report, url, final.applied);
    return report;
  } finally {
    await fleet.stop();
  }
}
