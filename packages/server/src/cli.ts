import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { AuditExportOptions, ImportUnleashOptions, RelayCommandOptions } from './cli/commands';
import { VERSION } from './version';

/*
 * The `flagline` command line. Only commander and the version are loaded up front: arguments, --help, --version and
 * usage errors are handled before the server's modules are imported, so they answer at once and never start,
 * migrate or mint anything.
 */

/** Exit codes, as the README documents them. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const loadCommands = () => import('./cli/commands');

const ENVIRONMENT_HELP = `
Configuration comes from environment variables (PORT, HOST, DATABASE_URL, FLAGLINE_DATA_DIR, LOG_LEVEL, …);
see the README for the full list.

Exit codes: 0 success, 1 failure (the message says why), 2 usage error (unknown command or option).`;

/** --upstream: an http(s) base URL, checked before anything starts. */
function upstreamUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://flagline.internal:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be http:// or https://');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port, 0–65535');
  return port;
}

/** --workers: a count of processes, or "auto" for one per core. */
function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new InvalidArgumentError('must be 1–64 or auto');
  return count;
}

const RELAY_HELP = `
The relay keeps the environment's flags in memory from the upstream's stream (GET /api/client/stream) and serves
the evaluation routes from them: /api/config/flags, /api/client/flags and /api/client/stream, /api/config/stream and
OFREP (/ofrep/v1/...). It has no database. The upstream may be a flagline serve instance or another relay.
Credentials presented to it are checked against the upstream (cached 10 s); admin routes answer 404.
When the upstream is down it serves its last snapshot and reports itself stale in /readyz and /metrics.
With --workers N (or auto, one per core) N processes share the port, each with its own upstream stream; /metrics
adds up all of them, while stream limits (SSE_*) apply per process.

Example:
  flagline relay --upstream http://flagline.internal:3000 --token fl_... --port 4000

PORT, HOST, LOG_LEVEL, METRICS_TOKEN, SSE_* and AUTH_FAILURES_PER_MINUTE apply as for serve.`;

const jsonOption = () => new Option('--json', 'print the result as JSON on stdout (logs go to stderr)');

export function buildProgram(): Command {
  const program = new Command('flagline')
    .description('Self-hosted feature flags with scheduled changes and a tamper-evident audit trail.')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .addHelpText('after', ENVIRONMENT_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Usage errors are one line on stderr, without commander's "error: " prefix duplicating ours.
      outputError: (text, write) => write(`flagline: ${text.replace(/^error: /, '')}`),
    });

  program
    .command('serve')
    .description('run the API, the admin UI and the scheduler (the default command)')
    .action(async () => (await import('./cli/serve')).serve());

  program
    .command('relay')
    .description('serve evaluation from an upstream Flagline without a database (scale evaluation out; chainable)')
    .addOption(
      new Option('--upstream <url>', 'the upstream Flagline (a server or another relay)')
        .env('FLAGLINE_RELAY_UPSTREAM')
        .argParser(upstreamUrl)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--token <secret>', 'a server token of the environment to relay')
        .env('FLAGLINE_RELAY_TOKEN')
        .makeOptionMandatory(),
    )
    .addOption(new Option('--port <n>', 'the port to listen on (default: PORT, else 4747)').argParser(portNumber))
    .option('--environment <key>', "the environment to relay (default: the token's own)")
    .addOption(
      new Option('--workers <n>', 'processes serving on the one port, each with its own snapshot (default: 1)')
        .env('FLAGLINE_RELAY_WORKERS')
        .argParser(workerCount),
    )
    .addHelpText('after', RELAY_HELP)
    .action(async (options: RelayCommandOptions) => (await loadCommands()).relay(options));

  program
    .command('worker')
    .description('run only the scheduler and webhook delivery (scale workers apart from API instances)')
    .action(async () => (await loadCommands()).worker());

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .addOption(jsonOption())
    .action(async (options: { json?: boolean }) => (await loadCommands()).migrate(options));

  const schedules = program.command('schedules').description('scheduled flag changes');
  schedules
    .command('run-due')
    .description('apply everything due now, print a JSON summary and exit (for cron)')
    .addOption(jsonOption())
    .action(async () => (await loadCommands()).runDue());

  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .description('create an API token and print it as JSON (the secret is shown only this once)')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--role <role>', 'admin | viewer | server | frontend (client: the older name of server)')
    .option('--environment <key>', 'the environment a server or frontend token is bound to')
    .option('--allowed-origins <origins>', 'frontend tokens: the origins browsers may call from, comma-separated, or *')
    .addOption(jsonOption())
    .action(async (options: { name: string; role: string; environment?: string; allowedOrigins?: string }) =>
      (await loadCommands()).tokenCreate(options),
    );
  token
    .command('list')
    .description('list API tokens as JSON (never their secrets)')
    .addOption(jsonOption())
    .action(async () => (await loadCommands()).tokenList());
  token
    .command('revoke')
    .description('revoke an API token')
    .argument('<id>', 'the token id (from token list)')
    .addOption(jsonOption())
    .action(async (id: string, options: { json?: boolean }) => (await loadCommands()).tokenRevoke(id, options));

  const audit = program.command('audit').description('the audit trail');
  audit
    .command('verify')
    .description(
      "check the audit trail's sealed hash chain (and, with --checkpoints, that it still reaches every signed checkpoint); prints { ok, checked, firstBrokenId, unsealed, problem }, exits 1 naming the first problem",
    )
    .option('--checkpoints <dir>', 'a directory of signed checkpoints (FLAGLINE_AUDIT_CHECKPOINT_DIR of the servers)')
    .option('--public-key <file>', 'the Ed25519 public key (PEM) the checkpoints were signed with')
    .addOption(jsonOption())
    .action(async (options: { checkpoints?: string; publicKey?: string }) =>
      (await loadCommands()).auditVerify(options),
    );
  audit
    .command('checkpoint')
    .description(
      'seal what has committed, sign the chain head with FLAGLINE_AUDIT_SIGNING_KEY_FILE and publish it (checkpoint directory, log, webhooks); prints it as JSON',
    )
    .addOption(jsonOption())
    .action(async () => (await loadCommands()).auditCheckpoint());
  audit
    .command('export')
    .description('export the audit trail (oldest first), with a progress bar on stderr')
    .requiredOption('--out <file>', 'where to write it (- for standard output)')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--type <type>', 'only events of this type')
    .option('--flag-key <key>', 'only events about this flag')
    .option('--environment <key>', 'only events in this environment')
    .option('--actor-id <id>', 'only events by this actor')
    .option('--schedule-id <id>', 'only events about this schedule')
    .option('--from <iso>', 'only events at or after this time')
    .option('--to <iso>', 'only events before this time')
    .action(async (options: AuditExportOptions) => (await loadCommands()).auditExport(options));

  const importCommand = program.command('import').description('import flags from another system');
  importCommand
    .command('unleash')
    .description(
      "import the JSON of Unleash's POST /api/admin/features-batch/export into one environment, in one audited change; flags that already exist stop it unless --replace",
    )
    .argument('<file>', 'the export (- for standard input)')
    .requiredOption('--environment <key>', 'the Flagline environment to import into')
    .option(
      '--segments <file>',
      "the JSON of Unleash's GET /api/admin/segments (the export names segments without their constraints)",
    )
    .option('--dry-run', 'print what would be imported and what cannot be represented; change nothing')
    .option('--replace', 'replace flags and segments that already exist')
    .addOption(jsonOption())
    .action(async (file: string, options: ImportUnleashOptions) =>
      (await loadCommands()).importUnleashFile(file, options),
    );

  // Every subcommand inherits the usage-error handling and output settings.
  for (const command of program.commands.flatMap((c) => [c, ...c.commands])) {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
  }
  return program;
}

/**
 * Keeps Node's event loop busy while a command starts. Without it, the loop runs dry while the embedded database's
 * WebAssembly compiles off the main thread (nothing libuv waits on), and Node then blocks in its platform's
 * DrainTasks until every background task has finished — including V8's optimising recompilation of the hot
 * database code, seconds on a busy 2-core machine — before it polls sockets again: the server was listening but
 * accepted nothing for about a second after a restart.
 */
function holdEventLoop(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}

export async function main(argv: string[]): Promise<void> {
  const release = holdEventLoop();
  try {
    // `flagline` alone serves, as `npm start` does; anything else unknown is a usage error, never a server start.
    await buildProgram().parseAsync(argv.length === 0 ? ['serve'] : argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; anything else commander rejects is a usage error.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const { describeFailure } = await import('./cli/lifecycle');
    process.stderr.write(describeFailure(error));
    process.exit(EXIT.failed);
  } finally {
    release();
  }
}
