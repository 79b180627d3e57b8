import { type CreateFlagBody, type FlagPage, type FlagView, flagKeySchema, type UpdateFlagBody } from '@flagline/core';
import type { Db } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { cancelPlansOfFlag } from '../plans/plan-service';
import { cancelPendingSchedules } from '../schedules/schedule-service';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { AppError, sqlState, UNIQUE_VIOLATION } from '../shared/errors';
import {
  allStates,
  deleteFlagRow,
  type FlagPatch,
  insertFlag,
  listFlagViews,
  requireFlagByKey,
  requireFlagView,
  setState,
  toFlagView,
} from './flag-store';
import { assertNoProblems, variantProblems } from './targeting-validation';

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
  return (await requireFlagView(db, key, environment)).view;
}

/**
 * Creates the flag with a state in every environment: disabled, 0% (a flag of another type than boolean serves its
 * first variant when off and as fallthrough). Variants are checked against the type.
 */
export async function createFlag(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateFlagBody,
  environment: string,
): Promise<FlagView> {
  try {
    return await runChange(deps, context, (scope) => createFlagIn(scope, body, environment));
  } catch (error) {
    // Two concurrent creates of one key: the loser's insert waits for the winner's commit, then conflicts.
    if (sqlState(error) === UNIQUE_VIOLATION) throw flagExists(body.key);
    throw error;
  }
}

const flagExists = (key: string) => new AppError('ALREADY_EXISTS', `Flag "${key}" already exists.`);

/** createFlag inside a change already under way (an import creating many flags in one transaction). */
export async function createFlagIn(
  { tx, audit }: ChangeScope,
  body: CreateFlagBody,
  environment: string,
): Promise<FlagView> {
  const type = body.type ?? 'boolean';
  const variants = body.variants ?? [];
  assertNoProblems(variantProblems(type, variants));
  // The origin's body records exactly what it did; a typed flag records its type and variants too.
  const typed = body.type !== undefined || body.variants !== undefined ? { type, variants } : {};
  await requireEnvironment(tx, environment);
  const created = await insertFlag(tx, { key: body.key, description: body.description ?? '', type, variants });
  if (!created) throw flagExists(body.key);
  const states = await allStates(tx, created.id);
  await audit.record({
    type: 'flag.created',
    flagKey: created.key,
    data: { flagKey: created.key, description: created.description },
    before: null,
    after: { key: created.key, description: created.description, ...typed, states },
  });
  return (await requireFlagView(tx, created.key, environment)).view;
}

/**
 * Changes a flag in one environment. Only fields whose value differs count; a request that changes nothing writes
 * nothing (no version bump, no audit event). `expectedVersion` implements If-Match. A new description moves the
 * version in every environment (see FlagStateValues.version), so If-Match in any of them sees it.
 */
export async function updateFlag(deps: UnitOfWorkDeps, context: ChangeContext, input: FlagUpdate): Promise<FlagView> {
  return runChange(deps, context, async (scope) => {
    await requireEnvironment(scope.tx, input.environment);
    return updateFlagIn(scope, input);
  });
}

export interface FlagUpdate {
  key: string;
  environment: string;
  body: UpdateFlagBody;
  expectedVersion: number | undefined;
}

/**
 * updateFlag inside a change already under way: a guarded write, whose use case has already read the environment
 * (its protection, under a share lock: a missing one is a 404 there), or an approved change request.
 */
export async function updateFlagIn({ tx, audit }: ChangeScope, input: FlagUpdate): Promise<FlagView> {
  const current = await requireFlagView(tx, input.key, input.environment, { lock: true });
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

  const patch: FlagPatch = { enabled: after.enabled, rolloutPercentage: after.rolloutPercentage };
  if (changedFields.includes('description')) patch.description = after.description;
  const at = new Date();
  // requireFlagView locked the state row (for update) and read it: setState need not read it again.
  const state = await setState(tx, current.id, input.environment, patch, at, {
    flagId: current.id,
    environment: input.environment,
    values: { enabled: current.enabled, rolloutPercentage: current.rolloutPercentage, version: current.version },
  });
  if (!state) throw new Error(`flag ${input.key} lost its state in ${input.environment} inside its own transaction`);
  await audit.record({
    type: 'flag.updated',
    environment: input.environment,
    flagKey: input.key,
    data: { flagKey: input.key, changedFields },
    before: { ...before, version: current.version },
    after: { ...after, version: state.after.version },
  });
  // What a read would now give, without the round trip: setState wrote these values, and `at` as the state's (and,
  // with a new description, the flag's) updated_at.
  return toFlagView({
    ...current,
    description: after.description,
    enabled: state.after.enabled,
    rolloutPercentage: state.after.rolloutPercentage,
    version: state.after.version,
    stateUpdatedAt: at,
    flagUpdatedAt: changedFields.includes('description') ? at : current.flagUpdatedAt,
  });
}

/** Deletes a flag in every environment, inside a change already under way. */
export async function deleteFlagIn(scope: ChangeScope, key: string): Promise<void> {
  const flag = await requireFlagByKey(scope.tx, key, { lock: true });
  const states = await allStates(scope.tx, flag.id);
  // Pending schedules would otherwise fire against a flag that no longer exists (or a new one with the same key).
  const cancelledSteps = await cancelPlansOfFlag(scope, flag.id, 'flag_deleted');
  const cancelled = [...cancelledSteps, ...(await cancelPendingSchedules(scope, { flagId: flag.id }, 'flag_deleted'))];
  await deleteFlagRow(scope.tx, flag.id);
  await scope.audit.record({
    type: 'flag.deleted',
    flagKey: key,
    data: { flagKey: key, cancelledScheduleIds: cancelled.map((schedule) => schedule.id) },
    before: { key, description: flag.description, states },
    after: null,
  });
}
