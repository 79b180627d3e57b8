import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { constants as osConstants, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createTokenBodySchema, exportAuditQuerySchema } from '@flagline/core';
import type { Logger } from 'pino';
import { countAuditEvents, verifyAuditChain } from './audit/audit-service';
import { exportChunks } from './audit/export';
import { startBackgroundJobs } from './background/jobs';
import { type Config, loadConfig } from './config';
import { openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
import { describeFatal } from './fatal';
import { AppError } from './http/errors';
import { createLogger } from './logger';
import { progressBar } from './progress';
import { runDueOnce } from './schedules/lambda';
import { startServer } from './server';
import { createToken, listTokens, revokeToken } from './tokens/token-service';

const USAGE = `Usage: flagline <command>

Commands:
  serve                                  Run the API and admin UI (default)
  worker                                 Run only the scheduler (scale workers apart from API instances)
  schedules run-due                      Apply everything due now, print a JSON summary, exit (for cron)
  migrate                                Apply database migrations and exit
  token create --name N --role R [--environment E]
                                         Create an API token (role: admin | viewer | client)
  token list                             List API tokens
  token revoke <id>                      Revoke an API token
  audit verify                           Check the audit trail's hash chain
  audit export --out FILE [--format ndjson|csv] [--flag-key K] [--type T] [--environment E]
               [--actor-id A] [--schedule-id S] [--from ISO] [--to ISO]
                                         Export the audit trail (oldest first), with a progress bar

Configuration comes from environment variables; see the README.`;

async function withDatabase<T>(
  config: Config,
  logger: Logger,
  work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
) {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
  });
  try {
    await runMigrations(database, config.databaseUrl);
    return await work(database);
  } finally {
    await database.close();
    logger.flush();
  }
}

function cliActor() {
  return { actor: { type: 'system' as const, id: `cli:${userInfo().username}`, email: null }, requestId: null };
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const server = await startServer(config, logger);
  onShutdownSignal(logger, 'shutting down', () => server.close());
}

/**
 * The first SIGINT/SIGTERM stops gracefully (in-flight webhook sends are cut off, so receivers cannot hold it up);
 * a second one, from an operator who will not wait, exits at once.
 */
function onShutdownSignal(logger: Logger, message: string, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    }
    stopping = true;
    logger.info({ signal }, message);
    void stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

async function worker(config: Config, logger: Logger): Promise<void> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection error'),
  });
  await runMigrations(database, config.databaseUrl);
  const jobs = await startBackgroundJobs({ database, config, logger });
  logger.info({ database: database.kind }, 'Flagline worker running (scheduler, webhook delivery)');
  onShutdownSignal(logger, 'worker shutting down', async () => {
    await jobs.stop();
    await database.close();
  });
}

async function token(config: Config, logger: Logger, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { name: { type: 'string' }, role: { type: 'string' }, environment: { type: 'string' } },
  });
  await withDatabase(config, logger, async (database) => {
    const deps = { db: database.db, logger };
    if (action === 'create') {
      const body = createTokenBodySchema.safeParse({
        name: values.name,
        role: values.role,
        ...(values.environment ? { environment: values.environment } : {}),
      });
      if (!body.success) {
        throw new AppError(
          'VALIDATION_FAILED',
          body.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '),
        );
      }
      const created = await createToken(deps, cliActor(), body.data);
      process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      process.stderr.write('The secret is shown only this once.\n');
    } else if (action === 'list') {
      process.stdout.write(`${JSON.stringify(await listTokens(database.db), null, 2)}\n`);
    } else if (action === 'revoke' && positionals[0]) {
      // Whoever can run the CLI can make a new admin token with it, so the last one may go.
      await revokeToken(deps, cliActor(), positionals[0], { adminAccessWithoutTokens: true });
      process.stdout.write(`Revoked ${positionals[0]}.\n`);
    } else {
      throw new AppError('VALIDATION_FAILED', 'Use: flagline token create|list|revoke <id>');
    }
  });
}

async function audit(config: Config, logger: Logger, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'verify') {
    const result = await withDatabase(config, logger, async (database) => {
      const bar = progressBar('verifying', await countAuditEvents(database.db, {}));
      const verification = await verifyAuditChain(database.db, (checked) => bar.update(checked));
      bar.finish(verification.checked);
      return verification;
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) process.exitCode = 1;
    return;
  }
  if (action !== 'export')
    throw new AppError('VALIDATION_FAILED', 'Use: flagline audit verify | audit export --out FILE');
  const { values } = parseArgs({
    args: rest,
    options: {
      format: { type: 'string', default: 'ndjson' },
      out: { type: 'string' },
      type: { type: 'string' },
      'flag-key': { type: 'string' },
      environment: { type: 'string' },
      'actor-id': { type: 'string' },
      'schedule-id': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const parsed = exportAuditQuerySchema.safeParse({
    format: values.format,
    type: values.type,
    flagKey: values['flag-key'],
    environment: values.environment,
    actorId: values['actor-id'],
    scheduleId: values['schedule-id'],
    from: values.from,
    to: values.to,
  });
  if (!parsed.success) {
    throw new AppError(
      'VALIDATION_FAILED',
      parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  if (!values.out) throw new AppError('VALIDATION_FAILED', '--out FILE is required (use --out - for standard output).');
  const { format, ...filter } = parsed.data;
  const out = values.out;
  await withDatabase(config, logger, async (database) => {
    const total = await countAuditEvents(database.db, filter);
    const bar = progressBar('exporting', total);
    const target = out === '-' ? process.stdout : createWriteStream(out);
    let written = 0;
    for await (const chunk of exportChunks(database.db, filter, format)) {
      if (!target.write(chunk.text)) await once(target, 'drain');
      written += chunk.events;
      bar.update(written);
    }
    bar.finish(total);
    if (target !== process.stdout)
      await new Promise<void>((resolve, reject) =>
        target.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
  });
}

/** Set once the configuration is read: failures print their stack only at debug level. */
let debugLogging = false;

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  debugLogging = config.logLevel === 'debug' || config.logLevel === 'trace';
  const logger = createLogger(config.logLevel);
  switch (command) {
    case 'serve':
      return serve(config, logger);
    case 'migrate':
      await withDatabase(config, logger, async () => {});
      process.stdout.write('Migrations applied.\n');
      return;
    case 'token':
      return token(config, logger, args);
    case 'worker':
      return worker(config, logger);
    case 'schedules': {
      if (args[0] !== 'run-due') throw new AppError('VALIDATION_FAILED', 'Use: flagline schedules run-due');
      const summary = await runDueOnce(config);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return;
    }
    case 'audit':
      return audit(config, logger, args);
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(describeFatal(error, debugLogging));
  process.exit(1);
});
