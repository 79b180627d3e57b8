import type { Measured } from '../inprocess';
import { round } from '../lib';
import type { TargetingMeasurement } from '../targeting';
import type { TargetResult } from './load';
import type { PropagationStats } from './propagation';

export const THROUGHPUT_TARGET = 3;
export const PROPAGATION_P99_TARGET_MS = 100;

export interface Verdict {
  met: boolean;
  text: string;
}

export interface Comparison {
  dataset: number;
  unleash: TargetResult;
  flagline: TargetResult;
  /** Flagline / Unleash */
  requestsPerSecondRatio: number;
  p99Ratio: number;
  verdict: Verdict;
}

export interface PeersSummary {
  recordedAt: string;
  wallTimeS: number;
  machine: { node: string; cpus: number; cpuModel: string; memoryGiB: number };
  loadAverage: { before: number[]; after: number[] };
  versions: Record<string, string>;
  settings: Record<string, string | number>;
  ruleset: Comparison[];
  remoteEvaluation: Comparison[];
  /** Flags with rules (#12): remote evaluation with attributes (≥ 10×), agreement, and in-process cost. */
  rules?: {
    comparisons: Comparison[];
    agreement: { checked: number; agree: number; share: number; verdict: Verdict };
    shareOn: number;
    inProcess: TargetingMeasurement;
  };
  inProcess: {
    flags: number;
    users: number;
    results: Record<string, Measured>;
    ratios: Record<string, number>;
    verdict: Verdict;
  };
  propagation: {
    unleash15s: PropagationStats;
    unleash1s: PropagationStats;
    flagline: PropagationStats;
    ratios: Record<string, number>;
    verdict: Verdict;
  };
  agreement: {
    local: { checked: number; agree: number; share: number };
    servers: { checked: number; agree: number; share: number; users: number; flags: number };
    verdict: Verdict;
  };
  unleashLogTail: string[];
}

/** Flagline against Unleash on one endpoint: ≥ 3× the requests/s with a lower p99. */
export function compare(
  dataset: number,
  unleash: TargetResult,
  flagline: TargetResult,
  target = THROUGHPUT_TARGET,
): Comparison {
  const requestsPerSecondRatio = round(flagline.requestsPerSecond / unleash.requestsPerSecond, 2);
  const p99Ratio = round(flagline.p99Ms / unleash.p99Ms, 2);
  const clean = unleash.errors + unleash.non2xx + flagline.errors + flagline.non2xx === 0;
  const fastEnough = requestsPerSecondRatio >= target;
  const lowerP99 = flagline.p99Ms < unleash.p99Ms;
  const parts = [
    fastEnough
      ? `${requestsPerSecondRatio}× ≥ ${target}×`
      : `req/s ${requestsPerSecondRatio}× of the ${target}× target (${Math.round((1 - requestsPerSecondRatio / target) * 100)} % short)`,
    lowerP99
      ? `p99 ${flagline.p99Ms} < ${unleash.p99Ms} ms`
      : `p99 ${flagline.p99Ms} ms vs ${unleash.p99Ms} ms (${Math.round((p99Ratio - 1) * 100)} % higher)`,
  ];
  if (!clean) parts.push('errors or non-2xx responses');
  const met = fastEnough && lowerP99 && clean;
  return {
    dataset,
    unleash,
    flagline,
    requestsPerSecondRatio,
    p99Ratio,
    verdict: { met, text: `${met ? 'met' : 'MISSED'}: ${parts.join('; ')}` },
  };
}

const ms = (stats: PropagationStats, key: 'p50' | 'p90' | 'p99' | 'max') => (stats.ms ? String(stats.ms[key]) : '–');
const yes = (verdict: Verdict) => (verdict.met ? '✅' : '❌');

function loadTable(title: string, comparisons: Comparison[], note: string): string[] {
  const lines = [
    `### ${title}`,
    '',
    note,
    '',
    '| flags | system · endpoint | req/s | p50 ms | p99 ms | bytes/response | errors + non-2xx | req/s ratio F/U | p99 ratio F/U | target |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const seen = new Set<string>();
  for (const c of comparisons) {
    const key = `${c.dataset}:${c.unleash.name}`;
    if (!seen.has(key)) {
      seen.add(key);
      const u = c.unleash;
      lines.push(
        `| ${c.dataset} | ${u.name} | ${u.requestsPerSecond} | ${u.p50Ms} | ${u.p99Ms} | ${u.bytesPerResponse} | ${u.errors + u.non2xx} | | | |`,
      );
    }
    const f = c.flagline;
    lines.push(
      `| ${c.dataset} | ${f.name} | **${f.requestsPerSecond}** | ${f.p50Ms} | **${f.p99Ms}** | ${f.bytesPerResponse} | ${f.errors + f.non2xx} | **${c.requestsPerSecondRatio}×** | ${c.p99Ratio} | ${yes(c.verdict)} ${c.verdict.text} |`,
    );
  }
  lines.push('');
  return lines;
}

const RULES_NOTE =
  'Flags with rules (#12): on top of the plain dataset, the same flags with 5 rules × 3 constraints (country IN, e-mail STR_STARTS_WITH, age NUM_GT) in both servers — Unleash: 5 flexibleRollout strategies at 100 % with those constraints; Flagline: 5 rules. Unleash `GET /api/frontend?userId=…&country=…&email=…&age=…` (frontend token) vs Flagline OFREP bulk with the same context (client token); the context changes on every request (2 000 contexts). Both servers must agree on every (context, flag with rules) pair first.';

function rulesVerdicts(s: PeersSummary): string[] {
  if (!s.rules) return [];
  const r = s.rules;
  const t = r.inProcess;
  const ns = (name: string) => t.results[name]?.wallNsPerOp.median;
  return [
    ...r.comparisons.map(
      (c) =>
        `| remote evaluation with rules, ${c.dataset} flags, ${c.flagline.name}: ≥ 10× req/s, lower p99 | ${yes(c.verdict)} ${c.verdict.text} |`,
    ),
    `| flags with rules: Unleash /api/frontend and Flagline OFREP agree on every pair | ${yes(r.agreement.verdict)} ${r.agreement.verdict.text} |`,
    `| in-process boolean without rules ≤ ${t.target.plainBooleanNsPerOp} ns/op | ${t.met.plainBoolean ? '✅ met' : '❌ MISSED'}: ${ns('Flagline evaluateFlag, boolean without rules')} ns/op |`,
    `| in-process 5 rules × 3 constraints ≤ ${t.target.fiveRulesNsPerOp} ns/op, faster than unleash-client and GrowthBook | ${t.met.fiveRules && t.met.fiveRulesFasterThanUnleash && t.met.fiveRulesFasterThanGrowthBook ? '✅ met' : '❌ MISSED'}: ${ns('Flagline evaluateFlag, 5 rules × 3 constraints')} ns/op vs unleash-client ${ns('unleash-client isEnabled, 5 strategies × 3 constraints')} and GrowthBook ${ns('GrowthBookClient isOn, 5 rules × 3 conditions')} |`,
  ];
}

function rulesResults(s: PeersSummary): string[] {
  if (!s.rules) return [];
  const t = s.rules.inProcess;
  return [
    ...loadTable('Remote evaluation with rules', s.rules.comparisons, RULES_NOTE),
    '### In-process evaluation of rules',
    '',
    t.scenario,
    '',
    '| library · call | ns/op (wall, median) | ns/op (CPU, median) | ns/op best | share on |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(t.results).map(
      ([name, r]) =>
        `| ${name} | ${r.wallNsPerOp.median} | ${r.cpuNsPerOp.median} | ${r.wallNsPerOp.best} | ${r.shareOn} |`,
    ),
    '',
  ];
}

export function renderMarkdown(s: PeersSummary): string {
  const m = s.machine;
  const inProcess = Object.entries(s.inProcess.results);
  const p = s.propagation;
  const lines = [
    '# Flagline vs Unleash, side by side (`npm run bench -- peers`)',
    '',
    `Recorded ${s.recordedAt} · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB · Node ${m.node} · wall time of the whole run ${Math.round(s.wallTimeS)} s (${(s.wallTimeS / 60).toFixed(1)} min)`,
    '',
    `Load average (1/5/15 min) before ${s.loadAverage.before.join(' / ')}, after ${s.loadAverage.after.join(' / ')}${Math.max(...s.loadAverage.before) > 3 ? ' — **high: another workload was running; treat the figures with care**' : ''}.`,
    '',
    `Versions: ${Object.entries(s.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(' · ')}`,
    '',
    '## Verdicts',
    '',
    '| target | result |',
    '|---|---|',
    ...s.ruleset.map(
      (c) =>
        `| ruleset download, ${c.dataset} flags: ≥ ${THROUGHPUT_TARGET}× req/s, lower p99 | ${yes(c.verdict)} ${c.verdict.text} |`,
    ),
    ...s.remoteEvaluation.map(
      (c) =>
        `| remote evaluation, ${c.dataset} flags, ${c.flagline.name}: ≥ ${THROUGHPUT_TARGET}× req/s, lower p99 | ${yes(c.verdict)} ${c.verdict.text} |`,
    ),
    `| in-process evaluation faster than unleash-client and GrowthBook | ${yes(s.inProcess.verdict)} ${s.inProcess.verdict.text} |`,
    `| propagation to an SDK: p99 < ${PROPAGATION_P99_TARGET_MS} ms | ${yes(p.verdict)} ${p.verdict.text} |`,
    `| bucketing agreement with Unleash at 50 % = 100 % | ${yes(s.agreement.verdict)} ${s.agreement.verdict.text} |`,
    ...rulesVerdicts(s),
    '',
    '## Results',
    '',
    ...loadTable(
      'Ruleset download for server SDKs',
      s.ruleset,
      `\`GET /api/client/features\` (Unleash, client token) vs \`GET /api/client/flags\` (Flagline, client token), full body every time (no If-None-Match), ${s.settings.connections} connections. Median of ${s.settings.rounds} alternating rounds of ${s.settings.durationS} s after a ${s.settings.warmupS} s warm-up per endpoint.`,
    ),
    ...loadTable(
      'Remote evaluation of all flags for one user',
      s.remoteEvaluation,
      `\`GET /api/frontend?userId=…\` (Unleash frontend API, frontend token; returns the enabled flags with their variants) vs \`GET /api/config/flags?userId=…\` and OFREP bulk \`POST /ofrep/v1/evaluate/flags\` \`{"context":{"targetingKey":…}}\` (Flagline, client token). The user id changes on every request (10 000 users), ${s.settings.connections} connections, same rounds as above.`,
    ),
    '### In-process evaluation cost',
    '',
    `${s.inProcess.flags} flags at 50 %, ${s.inProcess.users} users, ${s.settings.inProcessRounds} interleaved rounds of ${s.settings.inProcessIterations} evaluations each (${s.settings.openFeatureIterations} for the awaited OpenFeature call); each SDK holds the ruleset it fetched from its own server (GrowthBook: the same flags as coverage-0.5 rules, built in-process). The verdict compares the synchronous calls (FlaglineProvider.resolveBoolean, isEnabled, isOn); the OpenFeature rows are what an application calling through the OpenFeature SDK pays (a Promise and the SDK's hooks on top), for reference: the second one, with a provider that returns a constant, is the SDK's own cost, and nearly all of the first.`,
    '',
    '| library · call | ns/op (wall, median) | ns/op (CPU, median) | ns/op best | share on | ratio Flagline / this |',
    '|---|---:|---:|---:|---:|---:|',
    ...inProcess.map(
      ([name, r]) =>
        `| ${name} | ${r.wallNsPerOp.median} | ${r.cpuNsPerOp.median} | ${r.wallNsPerOp.best} | ${r.shareOn} | ${s.inProcess.ratios[name] ?? ''} |`,
    ),
    '',
    ...rulesResults(s),
    '### Change propagation to an SDK',
    '',
    "From sending the admin request that flips a flag (Unleash: the environment on/off switch; Flagline: `PATCH enabled`) until the SDK in this process serves the new value to a user inside the 50 % (checked on the SDK's own change event, with a 5 ms poll as a safety net). Before each Unleash change the bench waits a random 0–refresh-interval, so changes land at random points of the polling cycle.",
    '',
    '| SDK | changes | lost | median ms | p90 ms | p99 ms | max ms | Flagline / this (median) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| unleash-client, refreshInterval 15 s (default) | ${p.unleash15s.samples} | ${p.unleash15s.lost} | ${ms(p.unleash15s, 'p50')} | ${ms(p.unleash15s, 'p90')} | – | ${ms(p.unleash15s, 'max')} | ${p.ratios.vsUnleash15s} |`,
    `| unleash-client, refreshInterval 1 s | ${p.unleash1s.samples} | ${p.unleash1s.lost} | ${ms(p.unleash1s, 'p50')} | ${ms(p.unleash1s, 'p90')} | – | ${ms(p.unleash1s, 'max')} | ${p.ratios.vsUnleash1s} |`,
    `| FlaglineProvider (SSE) | ${p.flagline.samples} | ${p.flagline.lost} | ${ms(p.flagline, 'p50')} | ${ms(p.flagline, 'p90')} | ${ms(p.flagline, 'p99')} | ${ms(p.flagline, 'max')} | 1 |`,
    '',
    'p99 is left out where there are too few samples for it to mean anything.',
    '',
    '### Bucketing agreement at 50 %',
    '',
    '| comparison | pairs (user, flag) | agree | share |',
    '|---|---:|---:|---:|',
    `| unleash-client isEnabled vs FlaglineProvider, locally (ids: user-N, UUIDs, e-mail addresses) | ${s.agreement.local.checked} | ${s.agreement.local.agree} | ${s.agreement.local.share} |`,
    `| Unleash \`/api/frontend\` vs Flagline \`/api/config/flags\`, ${s.agreement.servers.users} users × ${s.agreement.servers.flags} flags | ${s.agreement.servers.checked} | ${s.agreement.servers.agree} | ${s.agreement.servers.share} |`,
    '',
    '## Method and caveats',
    '',
    `- One machine, ${m.cpus} cores, for everything: unleash-server and \`flagline serve\` are each one Node process, the load generator (autocannon) and the SDKs run in the bench process, and PostgreSQL is the local server for both (a fresh database each, dropped at the end). The load generator competes with the server it measures for the same cores, so absolute req/s are lower than on a dedicated client/server pair; the ratios are the point. Both servers answer these endpoints from memory (Unleash: a response memoised per ETag/revision and a global frontend cache; Flagline: its in-memory snapshot), so PostgreSQL is idle during the load phases.`,
    `- Alternation: for each dataset and endpoint group the endpoints run in turn (A B C, then C B A, …), ${s.settings.rounds} rounds of ${s.settings.durationS} s each after a ${s.settings.warmupS} s warm-up each; the tables give the median of the rounds (req/s and p99 separately). Per-round figures are in the JSON.`,
    '- Datasets: 5 flags, then 345 more for 350; every flag on with a 50 % rollout. Unleash: `flexibleRollout`, `rollout: 50`, `stickiness: userId`, `groupId` = flag name — the same bucketing as Flagline (murmur3 of `<flag>:<user>`, design §4) and the same "no user id → off".',
    '- Unleash was run with its defaults except: API tokens from `initApiTokens`, version check and telemetry off (no internet here), log level warn. No rate limit applies to the measured endpoints in 6.10.1 (its limits cover login, user creation, metrics and registration), and no non-2xx answers were seen unless a table says so.',
    "- Unleash's frontend API answers from a cache refreshed when its revision poller (every 1 s) sees a new event; the bench waits until it serves every loaded flag before measuring. The same poller bounds Unleash's propagation from below: a change reaches `/api/client/features` only after the next revision check, then the SDK's next poll.",
    '- Flagline answers all three measured endpoints from a `node:http` fast path straight from the in-memory snapshot (`packages/server/src/delivery/evaluate-fast-path.ts`) for a plain request (no `%`, `+` or `#` in the query, a plain Host, no repeated header) with a token it has already seen; everything else goes through the Hono routes. Both call the same responder per route (`delivery/evaluation-responses.ts`), and `evaluate-fast-path.test.ts` holds them to the same status, JSON and headers. Response bodies are serialised once per snapshot (ruleset, OFREP fragments) or per request from precomputed pieces (evaluations).',
    '- In-process numbers are per evaluation of one flag for one user, measured in the bench process with the SDKs connected to the live servers (the unleash-client at 1 s keeps polling in the background, which hits all candidates alike).',
    '',
  ];
  if (s.unleashLogTail.length > 0) {
    lines.push('Unleash logged (last lines, warn and above):', '', '```', ...s.unleashLogTail.slice(-10), '```', '');
  }
  return lines.join('\n');
}
