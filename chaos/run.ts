import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { machine, root, writeResult } from '../bench/lib';
import { killAllFlaglines } from '../packages/server/test/helpers/processes';
import type { ScenarioReport } from './checks';
import { PrivateCluster } from './cluster';

type Scenario = (cluster: PrivateCluster) => Promise<ScenarioReport>;
const scenarios: Record<string, () => Promise<Scenario>> = {
  'pg-restart': async () => (await import('./scenarios/pg-restart')).pgRestartScenario,
  'kill-storm': async () => (await import('./scenarios/kill-storm')).killStormScenario,
  'evaluation-soak': async () => (await import('./scenarios/evaluation-soak')).evaluationSoakScenario,
  'cancel-race': async () => (await import('./scenarios/cancel-race')).cancelRaceScenario,
  'disk-full': async () => (await import('./scenarios/disk-full')).diskFullScenario,
  'hanging-webhooks': async () => (await import('./scenarios/hanging-webhooks')).hangingWebhooksScenario,
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(scenarios);
for (const name of names) {
  if (!scenarios[name]) {
    process.stderr.write(`Unknown scenario "${name}". Available: ${Object.keys(scenarios).join(', ')}\n`);
    process.exit(2);
  }
}

/** The commit measured, marked when the tree has changes. */
function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages', 'chaos'], {
      cwd: root,
      encoding: 'utf8',
    });
    return `\`${head}\`${dirty.trim() ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}

const started = performance.now();
const loadBefore = loadavg();
const reports: ScenarioReport[] = [];
const errors: string[] = [];
const cluster = await PrivateCluster.create();
// Interrupted (Ctrl+C, or a CI timeout's SIGTERM): leave no flagline process or private PostgreSQL server behind.
// The signal often comes twice (npx and tsx each pass it on): the second must not cut the clean-up short.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write(`\n${signal}: stopping the processes and the private PostgreSQL server…\n`);
    void Promise.allSettled([killAllFlaglines(), cluster.destroy()]).then(() => process.exit(130));
  });
}
try {
  for (const name of names) {
    try {
      const scenario = await (scenarios[name] as () => Promise<Scenario>)();
      reports.push((await scenario(cluster)).finish());
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push(`${name}: ${message}`);
      process.stdout.write(`  ✗ ${name} could not finish: ${message}\n`);
      await killAllFlaglines();
    }
  }
} finally {
  await killAllFlaglines();
  await cluster.destroy();
}

const seconds = Math.round((performance.now() - started) / 1000);
const passed = errors.length === 0 && reports.every((report) => report.passed);
const summary = {
  passed,
  wallSeconds: seconds,
  loadAverage: {
    before: loadBefore.map((v) => Number(v.toFixed(2))),
    after: loadavg().map((v) => Number(v.toFixed(2))),
  },
  scenarios: reports.map((report) => ({
    name: report.name,
    passed: report.passed,
    seconds: report.seconds,
    checks: report.checks,
    figures: report.figures,
  })),
  errors,
};
const jsonPath = writeResult('chaos', summary);

/** One scenario's section of chaos.md: its steps, checks and figures. */
function section(report: ScenarioReport, note?: string): string[] {
  const lines = [`## ${report.name} (${report.seconds} s)`, ''];
  if (note) lines.push(note, '');
  lines.push(...report.steps.map((step) => `- ${step}`), '', '| | Check | Measured |', '|---|---|---|');
  for (const check of report.checks) {
    lines.push(
      `| ${check.ok ? '✓' : '✗'} | ${check.name} | ${check.detail.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`,
    );
  }
  lines.push('', '```json', JSON.stringify(report.figures, null, 2), '```', '');
  return lines;
}

const markdownPath = join(root, 'bench/results/chaos.md');

/**
 * Sections below the raw-results line were written by other tools (the HTTP fuzz run of `npm test`): a full run
 * rewrites the scenarios above that line and keeps these as they are.
 */
function sectionsRecordedElsewhere(): string {
  if (!existsSync(markdownPath)) return '';
  const markdown = readFileSync(markdownPath, 'utf8');
  const raw = markdown.indexOf('\nRaw results:');
  const next = raw === -1 ? -1 : markdown.indexOf('\n## ', raw + 1);
  return next === -1 ? '' : markdown.slice(next);
}
// A full run rewrites the markdown summary; a run of chosen scenarios (`npm run chaos -- disk-full`) replaces only
// their sections (adding them if new), each saying when and at which commit it was measured.
if (requested.length > 0 && existsSync(markdownPath)) {
  let markdown = readFileSync(markdownPath, 'utf8');
  for (const report of reports) {
    const note = `Measured on its own by \`npm run chaos -- ${names.join(' ')}\` at ${commit()}, ${new Date().toISOString()}: ${report.passed ? 'every check passed' : 'some checks FAILED'}; raw results \`${jsonPath.slice(root.length + 1)}\`.`;
    const text = section(report, note).join('\n');
    const start = markdown.indexOf(`## ${report.name} (`);
    if (start === -1) {
      const raw = markdown.lastIndexOf('Raw results:');
      markdown = raw === -1 ? `${markdown}\n${text}\n` : `${markdown.slice(0, raw)}${text}\n${markdown.slice(raw)}`;
    } else {
      const next = markdown.indexOf('\n## ', start + 1);
      const raw = markdown.indexOf('\nRaw results:', start + 1);
      const end = [next, raw].filter((i) => i !== -1).reduce((a, b) => Math.min(a, b), markdown.length);
      markdown = `${markdown.slice(0, start)}${text}${markdown.slice(end)}`;
    }
  }
  writeFileSync(markdownPath, markdown);
}
if (requested.length === 0) {
  const m = machine();
  const lines = [
    '# Chaos: Flagline under failure',
    '',
    `Recorded ${new Date().toISOString()} by \`npm run chaos\` at ${commit()} in ${seconds} s · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB · Node ${m.node} · load average ${summary.loadAverage.before[0]} before, ${summary.loadAverage.after[0]} after.`,
    '',
    `**${passed ? 'Every check passed.' : 'Some checks FAILED.'}** Each scenario runs real \`flagline\` processes against a private PostgreSQL server the harness starts (so it can crash and restart it without touching anything else); loopback only.`,
    '',
  ];
  for (const report of reports) lines.push(...section(report));
  for (const error of errors) lines.push(`## Could not finish`, '', '```', error, '```', '');
  lines.push(`Raw results: \`${jsonPath.slice(root.length + 1)}\`.`, '');
  writeFileSync(markdownPath, lines.join('\n') + sectionsRecordedElsewhere());
}

process.stdout.write(`\n${passed ? 'all scenarios passed' : 'FAILED'} in ${seconds} s; results in ${jsonPath}\n`);
process.exit(passed ? 0 : 1);
