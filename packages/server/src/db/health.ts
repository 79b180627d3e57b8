import { sql } from 'drizzle-orm';
import { isDatabaseUnavailable } from '../shared/errors';
import type { Db } from './client';

export interface DatabaseState {
  up: boolean;
  checkedAt: Date;
  latencyMs: number;
  /**
   * Why the check failed, coarsely (absent when it passed): /readyz is public, so the driver's message, which can name
   * hosts, ports and users, goes to the log instead.
   */
  reason?: 'timeout' | 'unreachable' | 'error';
  /** The driver's message, for the log. */
  error?: string;
}

/** A probe gives up after this long, so readiness and scrapes answer even when the database hangs. */
export const DATABASE_CHECK_TIMEOUT_MS = 1_000;

class CheckTimeout extends Error {}

/** Runs `query`, or rejects once `timeoutMs` have passed. */
export async function withTimeout<T>(query: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the database answers right now: for /readyz?verbose and the flagline_database_up metric. */
export async function checkDatabase(db: Db, timeoutMs = DATABASE_CHECK_TIMEOUT_MS): Promise<DatabaseState> {
  const started = performance.now();
  const checkedAt = new Date();
  try {
    await withTimeout(db.execute(sql`select 1`), timeoutMs, 'select 1');
    return { up: true, checkedAt, latencyMs: performance.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = error instanceof CheckTimeout ? 'timeout' : isDatabaseUnavailable(error) ? 'unreachable' : 'error';
    return { up: false, checkedAt, latencyMs: performance.now() - started, reason, error: message };
  }
}
