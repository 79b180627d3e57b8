import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import {
  cliActor,
  createTokenBodySchema,
  exportAuditQuerySchema,
  importQuerySchema,
  unleashExportSchema,
  unleashSegmentListSchema,
} from '@flagline/core';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { countAuditEvents } from '../audit/audit-service';
import {
  CheckpointError,
  loadPublicKey,
  loadSigningKey,
  publishCheckpoint,
  readCheckpoints,
  type WitnessedCheckpoint,
} from '../audit/checkpoint';
import { exportChunks } from '../audit/export';
import { readChainHead, sealAll } from '../audit/sealer';
import { verifyAuditChain } from '../audit/verify';
import { startBackgroundJobs } from '../background/jobs';
import { applySettingsOf } from '../change-requests/appliers';
import { changeOrRequest } from '../change-requests/change-request-service';
import { type Config, ConfigError, loadConfig } from '../config';
import type { Database } from '../db/client';
import { openMigratedDatabase } from '../db/open-migrated';
import { validationError } from '../http/validation';
import { planImport, unleashImportChange } from '../import/import-service';
import { createLogger } from '../logger';
import { progressBar } from '../progress';
import { isRelayWorker, relayWorkerId, superviseRelayWorkers } from '../relay/relay-cluster';
import { startRelay } from '../relay/relay-server';
import { runDueOnce } from '../schedules/lambda';
import { AppError } from '../shared/errors';
import { createToken, listTokens, revokeToken } from '../tokens/token-service';
import { noteLogLevel, onShutdownSignal } from './lifecycle';

/*
 * What each command does once its arguments have parsed. This module imports the whole server, so the CLI entry point
 * loads it only after commander has handled --help, --version and usage errors.
 */

function readConfig(): Config {
  const config = loadConfig();
  noteLogLevel(config.logLevel);
  return config;
}

/** Long-running processes log to stdout (their log stream); one-shot commands keep stdout for their result. */
function oneShot(): { config: Config; logger: Logger } {
  const config = readConfig();
  return { config, logger: createLogger(config.logLevel, { toStderr: true }) };
}

async function withDatabase<T>(config: Config, logger: Logger, work: (db: Database) => Promise<T>) {
  const database = await openMigratedDatabase(config);
  try {
    // One-shot commands seal what has committed, before and after their work: with the embedded database no server
    // may be running to do it, and sealing is idempotent (one sealer at a time, whatever else runs).
    await sealAll(database.db);
    const result = await work(database);
    await sealAll(database.db);
    return result;
  } finally {
    await database.close();
    logger.flush();
  }
}

function cliContext() {
  return { actor: cliActor(userInfo().username), requestId: null };
}

function printJson(value: unknown, pretty = true): void {
  process.stdout.write(`${pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

/** Option values are checked with the API's own schemas, so the CLI and the API accept the same input. */
function optionError(error: z.ZodError): AppError {
  // Options are spelled in kebab case on the command line.
  const option = (path: PropertyKey[]) => String(path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return new AppError('VALIDATION_FAILED', error.issues.map((i) => `--${option(i.path)}: ${i.message}`).join('; '));
}

export interface RelayCommandOptions {
  upstream: string;
  token: string;
  port?: number;
  environment?: string;
  workers?: number;
}

export async function relay(options: RelayCommandOptions): Promise<void> {
  const loaded = readConfig();
  const config = options.port === undefined ? loaded : { ...loaded, port: options.port };
  const base = createLogger(config.logLevel);
  if ((options.workers ?? 1) > 1 && !isRelayWorker()) {
    process.exit(await superviseRelayWorkers(options.workers ?? 1, base));
  }
  // N workers write to one log: each line says which.
  const workerId = relayWorkerId();
  const logger = workerId === undefined ? base : base.child({ worker: workerId });
  const starting = startRelay(config, { ...options, environment: options.environment }, logger);
  // A worker's primary forwards the operator's signal as SIGTERM: a terminal's SIGINT reaching the worker too must
  // not count as the second, "exit now" signal.
  if (isRelayWorker()) process.on('SIGINT', () => {});
  onShutdownSignal(
    logger,
    'relay shutting down',
    async () => (await starting).close(),
    isRelayWorker() ? ['SIGTERM'] : undefined,
  );
  await starting;
}

export async function worker(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config, logger);
  const jobs = await startBackgroundJobs({ database, config, logger });
  logger.info({ database: database.kind }, 'Flagline worker running (scheduler, webhook delivery, audit sealing)');
  onShutdownSignal(logger, 'worker shutting down', async () => {
    await jobs.stop();
    await database.close();
  });
}

export interface OutputOptions {
  json?: boolean;
}

export async function migrate(options: OutputOptions): Promise<void> {
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async () => {});
  if (options.json) printJson({ migrated: true }, false);
  else process.stdout.write('Migrations applied.\n');
}

export async function tokenCreate(options: {
  name?: string;
  role?: string;
  environment?: string;
  allowedOrigins?: string;
}): Promise<void> {
  const body = createTokenBodySchema.safeParse({
    name: options.name,
    role: options.role,
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.allowedOrigins === undefined
      ? {}
      : { allowedOrigins: options.allowedOrigins.split(',').map((origin) => origin.trim()) }),
  });
  if (!body.success) throw optionError(body.error);
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async (database) => {
    printJson(await createToken({ db: database.db, logger }, cliContext(), body.data));
    process.stderr.write('The secret is shown only this once.\n');
  });
}

export async function tokenList(): Promise<void> {
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async (database) => printJson(await listTokens(database.db)));
}

export async function tokenRevoke(id: string, options: OutputOptions): Promise<void> {
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async (database) => {
    // Whoever can run the CLI can make a new admin token with it, so the last one may go.
    await revokeToken({ db: database.db, logger }, cliContext(), id, { adminAccessWithoutTokens: true });
  });
  if (options.json) printJson({ revoked: id }, false);
  else process.stdout.write(`Revoked ${id}.\n`);
}

export interface AuditVerifyOptions {
  checkpoints?: string;
  publicKey?: string;
}

/** A checkpoint problem is a finding of the verification; a key that cannot be read is a usage problem. */
async function witnessedCheckpoints(
  config: Config,
  options: AuditVerifyOptions,
): Promise<WitnessedCheckpoint[] | { problem: string }> {
  if (!options.checkpoints) return [];
  const keyFile = options.publicKey ?? config.audit.signingKeyFile;
  if (!keyFile) {
    throw new ConfigError('--checkpoints needs the public key: --public-key FILE (or FLAGLINE_AUDIT_SIGNING_KEY_FILE)');
  }
  let publicKey: Awaited<ReturnType<typeof loadPublicKey>>;
  try {
    publicKey = await loadPublicKey(keyFile);
  } catch (error) {
    throw new ConfigError(`--public-key: ${(error as Error).message}`);
  }
  try {
    return await readCheckpoints(options.checkpoints, publicKey);
  } catch (error) {
    if (error instanceof CheckpointError) return { problem: error.message };
    throw new ConfigError(`--checkpoints: ${(error as Error).message}`);
  }
}

export async function auditVerify(options: AuditVerifyOptions = {}): Promise<void> {
  const { config, logger } = oneShot();
  const checkpoints = await witnessedCheckpoints(config, options);
  const result =
    'problem' in checkpoints
      ? { ok: false, checked: 0, firstBrokenId: null, problem: checkpoints.problem }
      : await withDatabase(config, logger, async (database) => {
          const bar = progressBar('verifying', await countAuditEvents(database.db, {}));
          const verification = await verifyAuditChain(database.db, {
            checkpoints,
            onProgress: (checked) => bar.update(checked),
          });
          bar.finish(verification.checked);
          return verification;
        });
  printJson(result, false);
  if (!result.ok) {
    process.stderr.write(`audit verify: ${result.problem ?? 'the chain is broken'}\n`);
    process.exitCode = 1;
  }
}

/** Seals what has committed, then signs the head and publishes it (directory, log, webhooks). */
export async function auditCheckpoint(): Promise<void> {
  const { config, logger } = oneShot();
  if (!config.audit.signingKeyFile)
    throw new ConfigError('FLAGLINE_AUDIT_SIGNING_KEY_FILE is not set: nothing to sign with');
  let key: Awaited<ReturnType<typeof loadSigningKey>>;
  try {
    key = await loadSigningKey(config.audit.signingKeyFile);
  } catch (error) {
    throw new ConfigError(`FLAGLINE_AUDIT_SIGNING_KEY_FILE: ${(error as Error).message}`);
  }
  const published = await withDatabase(config, logger, async (database) =>
    publishCheckpoint(
      { db: database.db, logger, dir: config.audit.checkpointDir },
      key,
      await readChainHead(database.db),
    ),
  );
  printJson(published, false);
}

export interface AuditExportOptions {
  out: string;
  format: string;
  type?: string;
  flagKey?: string;
  environment?: string;
  actorId?: string;
  scheduleId?: string;
  from?: string;
  to?: string;
}

export async function auditExport(options: AuditExportOptions): Promise<void> {
  const parsed = exportAuditQuerySchema.safeParse({
    format: options.format,
    type: options.type,
    flagKey: options.flagKey,
    environment: options.environment,
    actorId: options.actorId,
    scheduleId: options.scheduleId,
    from: options.from,
    to: options.to,
  });
  if (!parsed.success) throw optionError(parsed.error);
  const { format, ...filter } = parsed.data;
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async (database) => {
    const total = await countAuditEvents(database.db, filter);
    const bar = progressBar('exporting', total);
    const target = options.out === '-' ? process.stdout : createWriteStream(options.out);
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

export interface ImportUnleashOptions extends OutputOptions {
  environment: string;
  dryRun?: boolean;
  replace?: boolean;
  segments?: string;
}

function readJsonFile(file: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `${option}: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_JSON', `${option}: ${file} is not JSON: ${(error as Error).message}`);
  }
}

/** `flagline import unleash FILE`: what POST /api/admin/import/unleash does, on the configured database. */
export async function importUnleashFile(file: string, options: ImportUnleashOptions): Promise<void> {
  const query = importQuerySchema.safeParse({
    environment: options.environment,
    dryRun: options.dryRun ? 'true' : 'false',
    onExisting: options.replace ? 'replace' : 'fail',
  });
  if (!query.success) throw optionError(query.error);
  // A file that is not Unleash's export is refused naming the field, as the API answers 400, not with a stack trace.
  const exported = unleashExportSchema.safeParse(readJsonFile(file, 'FILE'));
  if (!exported.success) throw validationError(exported.error, 'FILE');
  const body = exported.data;
  // The export's own segments lack their constraints; --segments supplies GET /api/admin/segments' answer.
  const segmentList = options.segments === undefined ? undefined : readJsonFile(options.segments, '--segments');
  let segments: z.infer<typeof unleashSegmentListSchema> | undefined;
  if (segmentList !== undefined) {
    const parsed = unleashSegmentListSchema.safeParse(
      Array.isArray(segmentList) ? segmentList : (segmentList as { segments?: unknown }).segments,
    );
    if (!parsed.success) throw validationError(parsed.error, '--segments');
    segments = parsed.data;
  }
  const { config, logger } = oneShot();
  await withDatabase(config, logger, async (database) => {
    const change = unleashImportChange(body, { onExisting: query.data.onExisting, ...(segments ? { segments } : {}) });
    const environment = query.data.environment ?? config.defaultEnvironment ?? 'production';
    const deps = { db: database.db, logger, settings: applySettingsOf(config) };
    // The same guarded write as the API's: a protected environment gets a change request, not the import.
    const outcome = await (query.data.dryRun
      ? planImport(database.db, environment, change).then((applied) => ({ applied, changeRequest: undefined }))
      : changeOrRequest(deps, cliContext(), { environment, flagKey: null }, change)
    ).catch((error: unknown) => {
      // The API's advice names its query parameter; here it is an option.
      if (error instanceof AppError && error.code === 'ALREADY_EXISTS') {
        throw new AppError(error.code, error.message.replace('import with onExisting=replace', 'run with --replace'));
      }
      throw error;
    });
    if (outcome.changeRequest) {
      if (options.json) return printJson({ changeRequest: outcome.changeRequest }, false);
      process.stdout.write(
        `${environment} is protected: the import waits for a second admin as change request ${outcome.changeRequest.id}.\n`,
      );
      return;
    }
    const result = outcome.applied;
    if (options.json) return printJson(result, false);
    const verb = result.dryRun ? 'Would import' : 'Imported';
    process.stdout.write(
      `${verb} ${result.flags.length} flags and ${result.segments.length} segments into ${result.environment}.\n`,
    );
    for (const flag of result.flags) process.stdout.write(`  flag ${flag.key}: ${flag.action}, ${flag.rules} rules\n`);
    for (const segment of result.segments) process.stdout.write(`  segment ${segment.key}: ${segment.action}\n`);
    if (result.unsupported.length > 0) {
      process.stdout.write(`Not represented (${result.unsupported.length}):\n`);
      for (const part of result.unsupported) process.stdout.write(`  ${part.path}: ${part.reason}\n`);
    }
  });
}

export async function runDue(): Promise<void> {
  printJson(await runDueOnce(readConfig()), false);
}
