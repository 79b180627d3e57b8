import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bootstrapActor } from '@flagline/core';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config';
import type { Db } from '../db/client';
import { BOOTSTRAP_TOKEN_FILE } from '../db/data-dir';
import { createToken } from './token-service';
import { hasActiveAdminToken } from './token-store';

/** Any fixed number: it names the lock serialising the first-start admin token across instances. */
const BOOTSTRAP_LOCK_ID = 4747_0004;

export { BOOTSTRAP_TOKEN_FILE };

/**
 * First start with no admin credential at all: make an admin token, so the operator can get in, and hand it over
 * with `deliver` inside the transaction: a token that could not be handed over is rolled back, never left behind.
 * Returns the secret, or undefined when some admin credential already exists.
 */
export async function mintBootstrapAdminToken(
  db: Db,
  config: Config,
  logger: Logger,
  deliver: (secret: string) => void,
): Promise<string | undefined> {
  if (config.adminToken || config.auth.jwksUrl) return undefined;
  // Instances starting together on one PostgreSQL would each find no admin token and each mint one: take turns.
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`);
    if (await hasActiveAdminToken(tx)) return undefined;
    const token = await createToken(
      { db: tx, logger },
      { actor: bootstrapActor, requestId: null },
      { name: 'bootstrap admin', role: 'admin' },
    );
    deliver(token.secret);
    return token.secret;
  });
}

function banner(secret: string): string {
  const line = '='.repeat(78);
  return (
    `\n${line}\n  Flagline created an admin API token. It is shown only this once; keep it safe:\n\n` +
    `    ${secret}\n\n  Use it as:  Authorization: Bearer ${secret.slice(0, 8)}…\n` +
    `  Make more with POST /api/admin/tokens; revoke this one once you have your own.\n${line}\n\n`
  );
}

/**
 * Hands the secret to the operator, never to the log stream (logs are shipped and kept): on a terminal it goes to
 * stderr; otherwise into a file only this user can read, whose path is logged.
 */
export function deliverBootstrapSecret(
  secret: string,
  config: Config,
  logger: Logger,
  stderr: NodeJS.WriteStream = process.stderr,
): string | undefined {
  if (stderr.isTTY) {
    stderr.write(banner(secret));
    return undefined;
  }
  const directory = config.dataDir === 'memory:' ? mkdtempSync(join(tmpdir(), 'flagline-')) : resolve(config.dataDir);
  const path = join(directory, BOOTSTRAP_TOKEN_FILE);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    // An older file keeps its mode on overwrite: tighten it explicitly.
    chmodSync(path, 0o600);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `FLAGLINE_DATA_DIR: cannot write the first admin token to ${path} (${reason}); make it writable or set FLAGLINE_ADMIN_TOKEN.`,
    );
  }
  logger.warn(
    { path },
    `Flagline created an admin API token and wrote it to ${path} (readable only by this user); store it, then delete the file`,
  );
  return path;
}
