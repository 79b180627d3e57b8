import type { Override, OverrideList, OverrideType, ScheduledOverrides, SetOverrideBody } from '@flagline/core';
import type { Db, Tx } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { type FlagRow, requireFlagByKey } from '../flags/flag-store';
import { effectiveVariants } from '../flags/targeting-validation';
import { AppError, notFound } from '../shared/errors';
import {
  deleteOverride,
  findOverride,
  insertOverride,
  type OverrideRow,
  pageOverrides,
  recentOverrideChanges,
  updateOverride,
} from './override-store';

function toOverride(row: OverrideRow): Override {
  return {
    userId: row.userId,
    overrideType: row.overrideType,
    reason: row.reason,
    // Only an override that pins a variant says so: the origin's answers stay as they were.
    ...(row.variant === null ? {} : { variant: row.variant }),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The origin's limit of override changes per flag per hour, counted from the audit trail so every instance shares
 * it. The caller holds the flag's row lock, so concurrent requests for one flag count one after another.
 */
async function enforceRateLimit(tx: Tx, flagKey: string, limitPerHour: number): Promise<void> {
  if (limitPerHour === 0) return;
  const recent = await recentOverrideChanges(tx, flagKey);
  if (recent.changes >= limitPerHour) {
    throw new AppError(
      'RATE_LIMITED',
      `Flag "${flagKey}" had ${limitPerHour} override changes in the last hour, the most allowed; try again later.`,
      { limitPerHour },
      // When the oldest change in the window leaves it: the earliest a retry can succeed.
      recent.secondsUntilFree ?? 60,
    );
  }
}

/** The audit names a pinned variant only when there is one, so the origin's override events read as before. */
const pinned = (variant: string | null) => (variant === null ? {} : { variant });

/** Only includes pin a variant, and only one the flag has (a boolean flag's implicit on/off included). */
/** Why an override cannot pin `variant` on the flag, or null when it can. */
function pinProblem(flag: Pick<FlagRow, 'type' | 'variants'>, overrideType: OverrideType, variant: string) {
  if (overrideType !== 'include') return 'only include overrides pin a variant';
  return effectiveVariants(flag.type, flag.variants).some((declared) => declared.key === variant)
    ? null
    : `the flag has no variant "${variant}"`;
}

function checkPinnedVariant(flag: FlagRow, overrideType: OverrideType, variant: string): void {
  const reason = pinProblem(flag, overrideType, variant);
  if (reason) {
    throw new AppError('VALIDATION_FAILED', `Invalid body: variant: ${reason}.`, {
      location: 'body',
      fields: { variant: reason },
    });
  }
}

export interface OverrideDeps extends UnitOfWorkDeps {
  rateLimitPerHour: number;
}

/** Sets (creates or replaces) a user's override. Returns whether it was created; a no-op writes nothing. */
export async function setOverride(
  deps: OverrideDeps,
  context: ChangeContext,
  input: OverrideSet,
): Promise<{ override: Override; created: boolean }> {
  return runChange(deps, context, (scope) => setOverrideIn(scope, input, deps.rateLimitPerHour));
}

export interface OverrideSet {
  flagKey: string;
  environment: string;
  body: SetOverrideBody;
}

/** setOverride inside a change already under way (an approved change request). */
export async function setOverrideIn(
  { tx, audit, actor }: ChangeScope,
  input: OverrideSet,
  rateLimitPerHour: number,
): Promise<{ override: Override; created: boolean }> {
  await requireEnvironment(tx, input.environment);
  const flag = await requireFlagByKey(tx, input.flagKey, { lock: true });
  const { userId, overrideType } = input.body;
  const reason = input.body.reason ?? null;
  const variant = input.body.variant ?? null;
  if (variant !== null) checkPinnedVariant(flag, overrideType, variant);
  const existing = await findOverride(tx, { flagId: flag.id, environment: input.environment, userId });
  if (
    existing &&
    existing.overrideType === overrideType &&
    existing.reason === reason &&
    existing.variant === variant
  ) {
    return { override: toOverride(existing), created: false };
  }
  await enforceRateLimit(tx, input.flagKey, rateLimitPerHour);
  const now = new Date();
  const row = existing
    ? await updateOverride(tx, existing.id, { overrideType, reason, variant }, now)
    : await insertOverride(tx, {
        flagId: flag.id,
        environment: input.environment,
        userId,
        overrideType,
        reason,
        variant,
        createdBy: actor.id,
      });
  await audit.record({
    type: 'flag_override.set',
    environment: input.environment,
    flagKey: input.flagKey,
    data: { flagKey: input.flagKey, userId, overrideType, reason, ...pinned(variant) },
    before: existing
      ? { userId, overrideType: existing.overrideType, reason: existing.reason, ...pinned(existing.variant) }
      : null,
    after: { userId, overrideType, reason, ...pinned(variant) },
  });
  return { override: toOverride(row), created: !existing };
}

export async function removeOverride(
  deps: OverrideDeps,
  context: ChangeContext,
  input: OverrideRemoval,
): Promise<void> {
  await runChange(deps, context, (scope) => removeOverrideIn(scope, input, deps.rateLimitPerHour));
}

export interface OverrideRemoval {
  flagKey: string;
  environment: string;
  userId: string;
}

/** removeOverride inside a change already under way (an approved change request). */
export async function removeOverrideIn(
  { tx, audit }: ChangeScope,
  input: OverrideRemoval,
  rateLimitPerHour: number,
): Promise<void> {
  await requireEnvironment(tx, input.environment);
  const flag = await requireFlagByKey(tx, input.flagKey, { lock: true });
  const existing = await findOverride(tx, { flagId: flag.id, environment: input.environment, userId: input.userId });
  if (!existing) throw notFound(`An override for user "${input.userId}" on flag "${input.flagKey}"`);
  await enforceRateLimit(tx, input.flagKey, rateLimitPerHour);
  await deleteOverride(tx, existing.id);
  await audit.record({
    type: 'flag_override.removed',
    environment: input.environment,
    flagKey: input.flagKey,
    data: { flagKey: input.flagKey, userId: input.userId },
    before: {
      userId: input.userId,
      overrideType: existing.overrideType,
      reason: existing.reason,
      ...pinned(existing.variant),
    },
    after: null,
  });
}

/** One page over all of the flag's overrides in the environment (oldest first), split into includes and excludes. */
export async function listOverrides(
  db: Db,
  input: { flagKey: string; environment: string; page: number; pageSize: number },
): Promise<OverrideList> {
  await requireEnvironment(db, input.environment);
  const flag = await requireFlagByKey(db, input.flagKey);
  const { rows, total } = await pageOverrides(
    db,
    { flagId: flag.id, environment: input.environment },
    { limit: input.pageSize, offset: (input.page - 1) * input.pageSize },
  );
  return {
    includes: rows.filter((row) => row.overrideType === 'include').map(toOverride),
    excludes: rows.filter((row) => row.overrideType === 'exclude').map(toOverride),
    pagination: { page: input.page, pageSize: input.pageSize, total },
  };
}

/**
 * What a schedule's override changes cannot do to the flag as it is (pins of variants it does not have), each with its
 * path under `at`: checked when the schedule is made, and again when it applies.
 */
export function scheduledOverrideProblems(
  flag: Pick<FlagRow, 'type' | 'variants'>,
  changes: ScheduledOverrides,
  at: string,
): { path: string; message: string }[] {
  return (changes.set ?? []).flatMap((body, index) => {
    const reason = body.variant === undefined ? null : pinProblem(flag, body.overrideType, body.variant);
    return reason ? [{ path: `${at}overrides.set.${index}.variant`, message: reason }] : [];
  });
}

/**
 * A schedule's override changes, in the transaction that applies the schedule: each set or removal recorded as the
 * override routes record it, with no rate limit (the schedule was checked when it was made); removing an override that
 * is not there is nothing to do.
 */
export async function applyScheduledOverrides(
  scope: ChangeScope,
  target: { flagKey: string; environment: string },
  changes: ScheduledOverrides,
): Promise<void> {
  for (const body of changes.set ?? []) await setOverrideIn(scope, { ...target, body }, 0);
  if (!changes.remove?.length) return;
  const flag = await requireFlagByKey(scope.tx, target.flagKey);
  for (const userId of changes.remove) {
    const existing = await findOverride(scope.tx, { flagId: flag.id, environment: target.environment, userId });
    if (existing) await removeOverrideIn(scope, { ...target, userId }, 0);
  }
}
