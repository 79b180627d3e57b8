import pg from 'pg';
import { runFlagline } from '../packages/server/test/helpers/processes';
import { ENVIRONMENT } from './admin';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** What one scenario checked, printed as it goes. */
export class ScenarioReport {
  readonly checks: Check[] = [];
  readonly figures: Record<string, unknown> = {};
  private readonly started = performance.now();

  constructor(readonly name: string) {
    process.stdout.write(`\n── ${name} ──\n`);
  }

  /** What happened along the way, in order (printed, and written above the checks in chaos.md). */
  readonly steps: string[] = [];

  step(message: string): void {
    this.steps.push(message);
    process.stdout.write(`  · ${message}\n`);
  }

  check(name: string, ok: boolean, detail: string): void {
    this.checks.push({ name, ok, detail });
    process.stdout.write(`  ${ok ? '✓' : '✗'} ${name} — ${detail}\n`);
  }

  get passed(): boolean {
    return this.checks.length > 0 && this.checks.every((check) => check.ok);
  }

  private ended: number | undefined;

  /** Stops the scenario's clock (seconds is read later, when the results are written). */
  finish(): this {
    this.ended ??= performance.now();
    return this;
  }

  get seconds(): number {
    return Math.round(((this.ended ?? performance.now()) - this.started) / 100) / 10;
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the server going away mid-check surfaces as the query's rejection
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

interface StateRow {
  key: string;
  enabled: boolean;
  rollout_percentage: number;
  version: number;
}

interface VersionEvent {
  flag_key: string;
  id: string;
  type: string;
  version: number | null;
  enabled: boolean | null;
  rollout: number | null;
}

/**
 * Every change to a flag's state bumps its version by one and writes one audit event carrying the new version
 * (flag.updated or flag_schedule.applied). So for each flag the events' versions must be exactly 2…current, each
 * once — a gap is a change without its event, a repeat is a change applied twice — and the newest event must show
 * the state the flag is in.
 */
export async function checkFlagLedger(
  url: string,
  environment: string,
): Promise<{ flags: number; changes: number; problems: string[] }> {
  return withClient(url, async (client) => {
    const states = (
      await client.query<StateRow>(
        `select f.key, s.enabled, s.rollout_percentage, s.version
         from flag_states s join flags f on f.id = s.flag_id where s.environment = $1`,
        [environment],
      )
    ).rows;
    const events = (
      await client.query<VersionEvent>(
        `select flag_key, id::text, type, (after->>'version')::int as version, (after->>'enabled')::boolean as enabled,
                (after->>'rolloutPercentage')::int as rollout
         from audit_events
         where environment = $1 and type in ('flag.updated', 'flag_schedule.applied')
         order by id`,
        [environment],
      )
    ).rows;
    const byFlag = new Map<string, VersionEvent[]>();
    for (const event of events) {
      const list = byFlag.get(event.flag_key) ?? [];
      list.push(event);
      byFlag.set(event.flag_key, list);
    }
    const problems: string[] = [];
    for (const state of states) {
      const list = byFlag.get(state.key) ?? [];
      const versions = list.map((event) => event.version ?? -1).sort((a, b) => a - b);
      const expected = Array.from({ length: state.version - 1 }, (_, i) => i + 2);
      if (versions.join() !== expected.join()) {
        const seen = new Set<number>();
        const repeated = versions.filter((v) => seen.has(v) || !seen.add(v));
        const missing = expected.filter((v) => !versions.includes(v));
        problems.push(
          `${state.key}: version ${state.version} but events for [${summariseList(versions)}] (missing ${summariseList(missing)}, repeated ${summariseList(repeated)})`,
        );
        continue;
      }
      const newest = list.reduce<VersionEvent | undefined>(
        (best, event) => (best && (best.version ?? 0) > (event.version ?? 0) ? best : event),
        undefined,
      );
      if (newest && (newest.enabled !== state.enabled || newest.rollout !== state.rollout_percentage)) {
        problems.push(
          `${state.key}: state is ${state.enabled}/${state.rollout_percentage}% but its newest event says ${newest.enabled}/${newest.rollout}%`,
        );
      }
    }
    return { flags: states.length, changes: events.length, problems };
  });
}

function summariseList(values: number[]): string {
  if (values.length === 0) return 'none';
  return values.length > 8 ? `${values.slice(0, 8).join(', ')}, … (${values.length})` : values.join(', ');
}

export interface ScheduleOutcome {
  id: string;
  status: string;
  created: number;
  applied: number;
  cancelled: number;
  failed: number;
  retrying: number;
}

/** Each one-off schedule's status next to the audit events recorded for it (recurringOutcomes has the others). */
export async function scheduleOutcomes(url: string): Promise<ScheduleOutcome[]> {
  return withClient(url, async (client) => {
    const rows = await client.query<ScheduleOutcome>(
      `select s.id::text, s.status,
              count(e.id) filter (where e.type = 'flag_schedule.created')::int as created,
              count(e.id) filter (where e.type = 'flag_schedule.applied')::int as applied,
              count(e.id) filter (where e.type = 'flag_schedule.cancelled')::int as cancelled,
              count(e.id) filter (where e.type = 'flag_schedule.failed')::int as failed,
              count(e.id) filter (where e.type = 'flag_schedule.retrying')::int as retrying
       from flag_schedules s left join audit_events e on e.schedule_id = s.id::text
       where s.recurrence is null
       group by s.id, s.status`,
    );
    return rows.rows;
  });
}

/**
 * Recurring schedules whose occurrences disagree with their events: each must be completed, and every one of its
 * `count` occurrences applied once (one event, no occurrence time twice) or skipped (counted in the event after it).
 */
export async function recurringDisagreements(
  url: string,
): Promise<{ schedules: number; applied: number; problems: string[] }> {
  return withClient(url, async (client) => {
    const rows = await client.query<{
      id: string;
      status: string;
      expected: number;
      occurrences: number;
      applied: number;
      distinct_times: number;
      accounted: number;
    }>(
      `select s.id::text, s.status, (s.recurrence->>'count')::int as expected, s.occurrence_count as occurrences,
              count(e.id)::int as applied, count(distinct e.data->>'occurrenceAt')::int as distinct_times,
              coalesce(sum(1 + (e.data->>'skippedOccurrences')::int), 0)::int as accounted
       from flag_schedules s
       left join audit_events e on e.schedule_id = s.id::text and e.type = 'flag_schedule.applied'
       where s.recurrence is not null
       group by s.id`,
    );
    const problems = rows.rows
      .filter(
        (r) =>
          r.status !== 'completed' ||
          r.occurrences !== r.expected ||
          r.accounted !== r.expected ||
          r.distinct_times !== r.applied,
      )
      .map(
        (r) =>
          `${r.id} is ${r.status}: ${r.occurrences}/${r.expected} occurrences, ${r.applied} applied events (${r.distinct_times} distinct times) accounting for ${r.accounted}`,
      );
    return { schedules: rows.rows.length, applied: rows.rows.reduce((n, r) => n + r.applied, 0), problems };
  });
}

/** A schedule's final status must have exactly its one event, and no event of another final status. */
export function outcomeProblems(outcome: ScheduleOutcome): string | undefined {
  const expected: Record<string, [number, number, number]> = {
    applied: [1, 0, 0],
    cancelled: [0, 1, 0],
    failed: [0, 0, 1],
  };
  const want = expected[outcome.status];
  if (!want) return `${outcome.id} is still ${outcome.status}`;
  const got = [outcome.applied, outcome.cancelled, outcome.failed];
  if (outcome.created !== 1 || got.join() !== want.join()) {
    return `${outcome.id} is ${outcome.status} with created/applied/cancelled/failed events ${outcome.created}/${got.join('/')}`;
  }
  return undefined;
}

/**
 * `flagline audit verify`, the operator's own command (it seals what is committed, then walks the chain), and every
 * event in the chain exactly once: as many links as events, none left unsealed — no gap, no double, none lost by a
 * sealer that was killed or cut off from the database.
 */
export async function verifyChain(url: string): Promise<{ ok: boolean; checked: number; detail: string }> {
  const result = await runFlagline(['audit', 'verify'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const parsed = JSON.parse(line) as { ok: boolean; checked: number; unsealed?: number };
    const events = await withClient(url, async (client) => {
      const counted = await client.query<{ n: number }>('select count(*)::int as n from audit_events');
      return counted.rows[0]?.n ?? 0;
    });
    const whole = parsed.checked === events && parsed.unsealed === 0;
    return {
      ok: parsed.ok && result.code === 0 && whole,
      checked: parsed.checked,
      detail: `${line}; ${events} events in audit_events${whole ? ', every one sealed once' : ' — the chain does not hold them all'}`,
    };
  } catch {
    return { ok: false, checked: 0, detail: `exit ${result.code}: ${result.stdout}${result.stderr}`.slice(0, 2_000) };
  }
}

/** Waits until nothing pending is due any more (all applied, failed or cancelled), or the deadline. */
export async function waitForDrain(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await withClient(url, async (client) => {
      const result = await client.query<{ n: number }>(
        `select count(*)::int as n from flag_schedules where status = 'pending'`,
      );
      return result.rows[0]?.n ?? 0;
    }).catch(() => Number.NaN);
    if (pending === 0 || Date.now() > deadline) return pending;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface RulesetView {
  version: number;
  flags: Array<{ key: string; enabled: boolean; rolloutPercentage: number }>;
}

/**
 * Whether the instance at `apiUrl` serves what the database holds: its ruleset is at the database's config version
 * and every flag's state matches. Polls until it does or `timeoutMs` passes; returns how long it took, or the mismatch.
 */
export async function servesDatabaseState(
  apiUrl: string,
  token: string,
  databaseUrl: string,
  environment: string,
  timeoutMs: number,
): Promise<{ ok: boolean; afterMs: number; detail: string }> {
  const started = performance.now();
  let detail = '';
  for (;;) {
    try {
      const [database, ruleset] = await Promise.all([
        withClient(databaseUrl, async (client) => {
          const version = await client.query<{ version: string }>('select version::text from config_state');
          const states = await client.query<StateRow>(
            `select f.key, s.enabled, s.rollout_percentage, s.version
             from flag_states s join flags f on f.id = s.flag_id where s.environment = $1`,
            [environment],
          );
          return { version: Number(version.rows[0]?.version ?? -1), states: states.rows };
        }),
        fetch(`${apiUrl}/api/client/flags?environment=${environment}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(5_000),
        }).then(async (response) => {
          if (!response.ok) throw new Error(`ruleset answered ${response.status}`);
          return (await response.json()) as RulesetView;
        }),
      ]);
      const served = new Map(ruleset.flags.map((flag) => [flag.key, flag]));
      const wrong = database.states.filter((state) => {
        const flag = served.get(state.key);
        return !flag || flag.enabled !== state.enabled || flag.rolloutPercentage !== state.rollout_percentage;
      });
      if (ruleset.version === database.version && wrong.length === 0) {
        return { ok: true, afterMs: Math.round(performance.now() - started), detail: `version ${ruleset.version}` };
      }
      detail = `serves version ${ruleset.version}, database at ${database.version}; ${wrong.length} flags differ`;
    } catch (error) {
      detail = String(error);
    }
    if (performance.now() - started > timeoutMs) {
      return { ok: false, afterMs: Math.round(performance.now() - started), detail };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first few problems, for a check's detail. */
export const firstFew = (problems: string[]) => (problems.length ? `; ${problems.slice(0, 3).join('; ')}` : '');

/**
 * The checks every scenario ends with: each version bump has exactly one audit event (checkFlagLedger), optionally
 * exactly `expectedChanges` of them, and `flagline audit verify` accepts the hash chain.
 */
export async function checkHistory(report: ScenarioReport, url: string, expectedChanges?: number): Promise<void> {
  const ledger = await checkFlagLedger(url, ENVIRONMENT);
  report.check(
    'no change without its audit event, none applied twice',
    ledger.problems.length === 0 && (expectedChanges === undefined || ledger.changes === expectedChanges),
    `${ledger.changes} version bumps over ${ledger.flags} flags, each with exactly one event${expectedChanges === undefined ? '' : ` (expected ${expectedChanges})`}${firstFew(ledger.problems)}`,
  );
  const chain = await verifyChain(url);
  report.check('the audit hash chain verifies', chain.ok, chain.detail);
}

/** Schedules whose status and audit events disagree (see outcomeProblems). */
export function outcomeDisagreements(outcomes: ScheduleOutcome[]): string[] {
  return outcomes.map(outcomeProblems).filter((problem): problem is string => problem !== undefined);
}
