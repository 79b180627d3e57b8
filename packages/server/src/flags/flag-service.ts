import { type CreateFlagBody, type FlagPage, type FlagView, flagKeySchema, type UpdateFlagBody } from '@flagline/core';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { environments, flagStates, flags } from '../db/schema';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { cancelPendingSchedules } from '../schedules/schedule-service';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { AppError, notFound, sqlState, UNIQUE_VIOLATION } from '../shared/errors';
import { allStates, findFlagView, listFlagViews, setState } from './flag-store';

/** A cursor carries the last key of a page, so anything that is not a flag key (e.g. U+0000, a 500 in PostgreSQL) is not one. */
const isKeyCursor = (value: unknown): value is { k: string } =>
  typeof value === 'object' && value !== null && flagKeySchema.safeParse((value as { k?: unknown }).k).success;

export async function listFlags(
  db: Db,
  query: { environment: string; q?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<FlagPage> {
  await requireEnvironment(db, query.environment);
  const afterKey = query.cursor ? decodeCursor(query.cursor, isKeyCursor).k : undefined;
  const page = await listFlagViews(db, { environment: query.environment, q: query.q, limit: query.limit, afterKey });
  return { items: page.items, nextCursor: page.hasMore && page.lastKey ? encodeCursor({ k: page.lastKey }) : null };
}

export async function getFlag(db: Db, key: string, environment: string): Promise<FlagView> {
  await requireEnvironment(db, environment);
  const found = await findFlagView(db, key, environment);
  if (!found) throw notFound(`Flag "${key}"`);
  return found.view;
}

/** Creates the flag with a state in every environment: disabled, 0%. */
export async function createFlag(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateFlagBody,
  environment: string,
): Promise<FlagView> {
  try {
    return await runChange(deps, context, async (tx, audit) => {
      await requireEnvironment(tx, environment);
      const [created] = await tx
        .insert(flags)
        .values({ key: body.key, description: body.description ?? '' })
        .onConflictDoNothing()
        .returning();
      if (!created) throw new AppError('ALREADY_EXISTS', `Flag "${body.key}" already exists.`);
      const environmentKeys = await tx.select({ key: environments.key }).from(environments);
      await tx.insert(flagStates).values(environmentKeys.map((row) => ({ flagId: created.id, environment: row.key })));
      const states = await allStates(tx, created.id);
      await audit.record({
        type: 'flag.created',
        flagKey: created.key,
        data: { flagKey: created.key, description: created.description },
        before: null,
        after: { key: created.key, description: created.description, states },
      });
      const found = await findFlagView(tx, created.key, environment);
      if (!found) throw new Error(`created flag ${created.key} has no state in ${environment}`);
      return found.view;
    });
  } catch (error) {
    // Two concurrent creates of one key: the loser's insert waits for the winner's commit, then conflicts.
    if (sqlState(error) === UNIQUE_VIOLATION)
      throw new AppError('ALREADY_EXISTS', `Flag "${body.key}" already exists.`);
    throw error;
  }
}

/**
 * Changes a flag in one environment. Only fields whose value differs count; a request that changes nothing writes
 * nothing (no version bump, no audit event). `expectedVersion` implements If-Match.
 */
export async function updateFlag(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: { key: string; environment: string; body: UpdateFlagBody; expectedVersion: number | undefined },
): Promise<FlagView> {
  return runChange(deps, context, async (tx, audit) => {
    await requireEnvironment(tx, input.environment);
    const current = await findFlagView(tx, input.key, input.environment, { lock: true });
    if (!current) throw notFound(`Flag "${input.key}"`);
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Flag "${input.key}" is at version ${current.version} in ${input.environment}, not ${input.expectedVersion}.`,
        { currentVersion: current.version },
      );
    }
    const before = {
      description: current.description,
      enabled: current.enabled,
      rolloutPercentage: current.rolloutPercentage,
    };
    const after = {
      description: input.body.description ?? before.description,
      enabled: input.body.enabled ?? before.enabled,
      rolloutPercentage: input.body.rolloutPercentage ?? before.rolloutPercentage,
    };
    const changedFields = (Object.keys(before) as (keyof typeof before)[]).filter(
      (field) => before[field] !== after[field],
    );
    if (changedFields.length === 0) return current.view;

    const now = new Date();
    if (after.description !== before.description) {
      await tx.update(flags).set({ description: after.description, updatedAt: now }).where(eq(flags.id, current.id));
    }
    const state = await setState(
      tx,
      current.id,
      input.environment,
      { enabled: after.enabled, rolloutPercentage: after.rolloutPercentage },
      now,
    );
    if (!state) throw new Error(`flag ${input.key} lost its state in ${input.environment} inside its own transaction`);
    await audit.record({
      type: 'flag.updated',
      environment: input.environment,
      flagKey: input.key,
      data: { flagKey: input.key, changedFields },
      before: { ...before, version: current.version },
      after: { ...after, version: state.after.version },
    });
    const updated = await findFlagView(tx, input.key, input.environment);
    if (!updated) throw new Error(`flag ${input.key} vanished inside its own transaction`);
    return updated.view;
  });
}

export async function deleteFlag(deps: UnitOfWorkDeps, context: ChangeContext, key: string): Promise<void> {
  await runChange(deps, context, async (tx, audit) => {
    const [flag] = await tx.select().from(flags).where(eq(flags.key, key)).for('update');
    if (!flag) throw notFound(`Flag "${key}"`);
    const states = await allStates(tx, flag.id);
    // Pending schedules would otherwise fire against a flag that no longer exists (or a new one with the same key).
    const cancelled = await cancelPendingSchedules(tx, audit, context, { flagId: flag.id }, 'flag_deleted');
    await tx.delete(flags).where(eq(flags.id, flag.id));
    await audit.record({
      type: 'flag.deleted',
      flagKey: key,
      data: { flagKey: key, cancelledScheduleIds: cancelled.map((schedule) => schedule.id) },
      before: { key, description: flag.description, states },
      after: null,
    });
  });
}
