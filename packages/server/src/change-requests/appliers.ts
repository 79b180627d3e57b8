import type {
  Conflict,
  FlagTargeting,
  FlagVariants,
  FlagView,
  ImportResult,
  OnConflict,
  Override,
  PlanWithConflicts,
  RequestedChange,
  Schedule,
} from '@flagline/core';
import type { Config } from '../config';
import type { ChangeScope } from '../db/unit-of-work';
import { updateEnvironmentIn } from '../environments/environment-service';
import { deleteFlagIn, updateFlagIn } from '../flags/flag-service';
import { requireFlagView } from '../flags/flag-store';
import { setVariantsIn, updateTargetingIn } from '../flags/targeting-service';
import { requireTargeting } from '../flags/targeting-store';
import { importIn } from '../import/import-service';
import { removeOverrideIn, setOverrideIn } from '../overrides/override-service';
import { fieldsOf, overwriteConflicts, settleConflicts } from '../plans/conflicts';
import { createPlanIn } from '../plans/plan-service';
import { createScheduleIn } from '../schedules/schedule-service';

/** What a change touches: one environment, and the flag when there is one. */
export interface ChangeTarget {
  environment: string;
  flagKey: string | null;
}

/** The settings the direct routes apply their changes with, so an approved change is held to the same limits. */
export interface ApplySettings {
  overrideRateLimitPerHour: number;
  scheduleMaxHorizonDays: number;
  scheduleConflictWindowMinutes: number;
  /** The request's ?onConflict: `reject` rolls the change back with 409 SCHEDULE_CONFLICT. Unset on approval. */
  onConflict?: OnConflict | undefined;
}

/** What carrying out each kind of change returns: the same value its direct route answers with. */
export interface AppliedResult {
  'flag.update': FlagView & WithConflicts;
  'flag.targeting': FlagTargeting & WithConflicts;
  'override.set': { override: Override; created: boolean };
  'override.remove': undefined;
  'schedule.create': Schedule & WithConflicts;
  'plan.create': PlanWithConflicts;
  'environment.unprotect': undefined;
  'config.import': ImportResult;
  'flag.variants': FlagVariants;
  'flag.delete': undefined;
}

export function applySettingsOf(config: Config): ApplySettings {
  return {
    overrideRateLimitPerHour: config.overrideRateLimitPerHour,
    scheduleMaxHorizonDays: config.scheduler.maxHorizonDays,
    scheduleConflictWindowMinutes: config.scheduler.conflictWindowMinutes,
  };
}

/** `conflicts` is added to the origin's answers only when there are some, so they stay as they were otherwise. */
type WithConflicts = { conflicts?: Conflict[] };

/** A manual change's answer, with the pending schedules that will overwrite what it set (rejected if asked). */
async function withOverwriteConflicts<T extends object>(
  scope: ChangeScope,
  target: ChangeTarget,
  patch: Record<string, unknown>,
  settings: ApplySettings,
  result: T,
): Promise<T & WithConflicts> {
  const fields = fieldsOf(patch);
  if (fields.length === 0) return result;
  const conflicts = await overwriteConflicts(
    scope.tx,
    { flagKey: flagOf(target), environment: target.environment },
    fields,
  );
  settleConflicts(conflicts, settings.onConflict);
  return conflicts.length > 0 ? { ...result, conflicts } : result;
}

export type ChangeOfKind<K extends RequestedChange['kind']> = Extract<RequestedChange, { kind: K }>;

type Applier<K extends RequestedChange['kind']> = (
  scope: ChangeScope,
  target: ChangeTarget,
  change: ChangeOfKind<K>,
  settings: ApplySettings,
) => Promise<AppliedResult[K]>;

const flagOf = (target: ChangeTarget): string => {
  if (target.flagKey === null) throw new Error('a flag change request without a flag key');
  return target.flagKey;
};

/**
 * The one place each kind of change is carried out, inside the caller's transaction: straight away for an
 * unprotected environment, on approval for a protected one, and in a rolled-back savepoint to preview the diff.
 */
export const APPLIERS: { [K in RequestedChange['kind']]: Applier<K> } = {
  'flag.update': async (scope, target, change, settings) =>
    withOverwriteConflicts(
      scope,
      target,
      change.body,
      settings,
      await updateFlagIn(scope, {
        key: flagOf(target),
        environment: target.environment,
        body: change.body,
        expectedVersion: change.expectedVersion,
      }),
    ),
  'flag.targeting': async (scope, target, change, settings) =>
    withOverwriteConflicts(
      scope,
      target,
      change.body,
      settings,
      await updateTargetingIn(scope, {
        key: flagOf(target),
        environment: target.environment,
        patch: change.body,
        expectedVersion: change.expectedVersion,
      }),
    ),
  'override.set': (scope, target, change, settings) =>
    setOverrideIn(
      scope,
      { flagKey: flagOf(target), environment: target.environment, body: change.body },
      settings.overrideRateLimitPerHour,
    ),
  'override.remove': async (scope, target, change, settings) => {
    await removeOverrideIn(
      scope,
      { flagKey: flagOf(target), environment: target.environment, userId: change.userId },
      settings.overrideRateLimitPerHour,
    );
    return undefined;
  },
  'schedule.create': (scope, target, change, settings) =>
    createScheduleIn(scope, {
      flagKey: flagOf(target),
      environment: target.environment,
      body: change.body,
      maxHorizonDays: settings.scheduleMaxHorizonDays,
      conflictWindowMinutes: settings.scheduleConflictWindowMinutes,
      onConflict: settings.onConflict,
    }),
  'plan.create': (scope, target, change, settings) =>
    createPlanIn(scope, {
      flagKey: flagOf(target),
      environment: target.environment,
      body: change.body,
      maxHorizonDays: settings.scheduleMaxHorizonDays,
      conflictWindowMinutes: settings.scheduleConflictWindowMinutes,
      onConflict: settings.onConflict,
    }),
  'environment.unprotect': async (scope, target) => {
    await updateEnvironmentIn(scope, target.environment, { protected: false });
    return undefined;
  },
  'config.import': (scope, target, change) => importIn(scope, target.environment, change),
  'flag.variants': (scope, target, change) =>
    setVariantsIn(scope, { key: flagOf(target), variants: change.body.variants }),
  'flag.delete': async (scope, target) => {
    await deleteFlagIn(scope, flagOf(target));
    return undefined;
  },
};

export function applyChange<K extends RequestedChange['kind']>(
  scope: ChangeScope,
  target: ChangeTarget,
  change: ChangeOfKind<K>,
  settings: ApplySettings,
): Promise<AppliedResult[K]> {
  // The mapped type pairs each kind with its applier; TypeScript cannot follow the pairing through a generic index.
  const apply = APPLIERS[change.kind as K] as Applier<K>;
  return apply(scope, target, change, settings);
}

/**
 * Pins the version the requester saw on changes that have one (If-Match, or the current version): approving applies
 * exactly what was reviewed, and fails if the flag moved on meanwhile.
 */
export async function pinVersion(
  scope: ChangeScope,
  target: ChangeTarget,
  change: RequestedChange,
): Promise<RequestedChange> {
  if (change.kind === 'flag.update' && change.expectedVersion === undefined) {
    const current = await requireFlagView(scope.tx, flagOf(target), target.environment);
    return { ...change, expectedVersion: current.version };
  }
  if (change.kind === 'flag.targeting' && change.expectedVersion === undefined) {
    const current = await requireTargeting(scope.tx, flagOf(target), target.environment);
    return { ...change, expectedVersion: current.version };
  }
  return change;
}
