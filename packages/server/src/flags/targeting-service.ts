import type {
  EnvironmentTargeting,
  FlagTargeting,
  FlagType,
  FlagVariants,
  Serve,
  TargetingProblem,
  Variant,
} from '@flagline/core';
import canonicalize from 'canonicalize';
import type { Db, Executor } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { lockExistingSegments } from '../segments/segment-store';
import { AppError } from '../shared/errors';
import { requireFlagByKey } from './flag-store';
import { changedTargetingFields, diffTargeting } from './targeting-diff';
import {
  allTargeting,
  overridesPinning,
  requireTargeting,
  type TargetingRow,
  writeTargeting,
  writeVariants,
} from './targeting-store';
import { assertNoProblems, effectiveVariants, targetingProblems, variantProblems } from './targeting-validation';

function toFlagTargeting(row: TargetingRow): FlagTargeting {
  return {
    flagKey: row.key,
    environment: row.environment,
    type: row.type,
    variants: row.variants,
    targeting: row.targeting,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function getTargeting(db: Db, key: string, environment: string): Promise<FlagTargeting> {
  await requireEnvironment(db, environment);
  return toFlagTargeting(await requireTargeting(db, key, environment));
}

/**
 * What is wrong with the targeting `fields` (a PATCH's, a schedule's) would make of `current`, for this flag as it is
 * now, with paths behind `at`. The segments the rules name are share-locked until the transaction ends, so none of
 * them can be deleted under the change.
 */
export async function targetingFieldProblems(
  tx: Executor,
  flag: { type: FlagType; variants: Variant[] },
  current: EnvironmentTargeting,
  fields: Partial<EnvironmentTargeting>,
  at = '',
): Promise<TargetingProblem[]> {
  const targeting = mergeTargeting(current, fields);
  const named = [...new Set(targeting.rules.flatMap((rule) => rule.segments))].sort();
  const segmentKeys = await lockExistingSegments(tx, named);
  return targetingProblems({ type: flag.type, variants: flag.variants, targeting, segmentKeys, at });
}

/** The fields given replace the current ones (an undefined field is not given). */
export function mergeTargeting(
  current: EnvironmentTargeting,
  fields: Partial<EnvironmentTargeting>,
): EnvironmentTargeting {
  return {
    enabled: fields.enabled ?? current.enabled,
    rolloutPercentage: fields.rolloutPercentage ?? current.rolloutPercentage,
    offVariant: fields.offVariant === undefined ? current.offVariant : fields.offVariant,
    rules: fields.rules ?? current.rules,
    fallthrough: fields.fallthrough === undefined ? current.fallthrough : fields.fallthrough,
  };
}

/**
 * Changes one environment's targeting: the fields given replace the current ones. Checked whole against the flag's
 * variants and the segments (400 naming the field, nothing written); a patch that changes nothing writes nothing.
 */
export async function updateTargeting(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: TargetingChange,
): Promise<FlagTargeting> {
  return runChange(deps, context, (scope) => updateTargetingIn(scope, input));
}

export interface TargetingChange {
  key: string;
  environment: string;
  patch: Partial<EnvironmentTargeting>;
  expectedVersion?: number | undefined;
}

/** updateTargeting inside a change already under way (an import setting many flags in one transaction). */
export async function updateTargetingIn({ tx, audit }: ChangeScope, input: TargetingChange): Promise<FlagTargeting> {
  await requireEnvironment(tx, input.environment);
  const current = await requireTargeting(tx, input.key, input.environment, { lock: true });
  if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `Flag "${input.key}" is at version ${current.version} in ${input.environment}, not ${input.expectedVersion}.`,
      { currentVersion: current.version },
    );
  }
  assertNoProblems(await targetingFieldProblems(tx, current, current.targeting, input.patch));
  const before = current.targeting;
  const after = mergeTargeting(before, input.patch);
  const diff = diffTargeting(before, after);
  const changedFields = changedTargetingFields(diff);
  if (changedFields.length === 0) return toFlagTargeting(current);
  const version = await writeTargeting(tx, current.id, input.environment, after, new Date());
  await audit.record({
    type: 'flag.targeting_updated',
    environment: input.environment,
    flagKey: input.key,
    data: { flagKey: input.key, changedFields, diff },
    before: { ...before, version: current.version },
    after: { ...after, version },
  });
  return toFlagTargeting(await requireTargeting(tx, input.key, input.environment));
}

function servedVariants(serve: Serve | null): string[] {
  if (!serve) return [];
  return 'variant' in serve ? [serve.variant] : serve.split.variants.map((weighted) => weighted.variant);
}

/** Where the targeting names one of `removed`, as field paths. */
function referencesIn(
  targeting: Pick<EnvironmentTargeting, 'offVariant' | 'rules' | 'fallthrough'>,
  removed: ReadonlySet<string>,
): string[] {
  const paths: string[] = [];
  if (targeting.offVariant !== null && removed.has(targeting.offVariant)) paths.push('offVariant');
  targeting.rules.forEach((rule, i) => {
    if (servedVariants(rule.serve).some((key) => removed.has(key))) paths.push(`rules[${i}].serve`);
  });
  if (servedVariants(targeting.fallthrough).some((key) => removed.has(key))) paths.push('fallthrough');
  return paths;
}

/**
 * Replaces the flag's variants (checked against its type). Removing a variant that any environment's targeting or
 * any override still serves is 409 INVALID_STATE naming each reference; pending schedules are checked when they apply.
 */
export async function setVariants(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: { key: string; variants: Variant[] },
): Promise<FlagVariants> {
  return runChange(deps, context, (scope) => setVariantsIn(scope, input));
}

/** setVariants inside a change already under way. */
export async function setVariantsIn(
  { tx, audit }: ChangeScope,
  input: { key: string; variants: Variant[] },
): Promise<FlagVariants> {
  const flag = await requireFlagByKey(tx, input.key, { lock: true });
  assertNoProblems(variantProblems(flag.type, input.variants));
  const view = (variants: Variant[]): FlagVariants => ({ flagKey: flag.key, type: flag.type, variants });
  if (canonicalize(flag.variants) === canonicalize(input.variants)) return view(flag.variants);

  const oldByKey = new Map(effectiveVariants(flag.type, flag.variants).map((variant) => [variant.key, variant]));
  const newByKey = new Map(effectiveVariants(flag.type, input.variants).map((variant) => [variant.key, variant]));
  const removed = [...oldByKey.keys()].filter((key) => !newByKey.has(key));
  const added = [...newByKey.keys()].filter((key) => !oldByKey.has(key));
  const changed = [...newByKey.keys()].filter(
    (key) => oldByKey.has(key) && canonicalize(oldByKey.get(key)) !== canonicalize(newByKey.get(key)),
  );
  if (removed.length > 0) {
    const gone = new Set(removed);
    const references = (await allTargeting(tx, flag.id)).flatMap(({ environment, targeting }) =>
      referencesIn(targeting, gone).map((path) => ({ environment, path })),
    );
    for (const pinned of await overridesPinning(tx, flag.id, removed)) {
      references.push({ environment: pinned.environment, path: `overrides[userId=${pinned.userId}].variant` });
    }
    if (references.length > 0) {
      const named = references.map((reference) => `${reference.environment}: ${reference.path}`).join(', ');
      throw new AppError(
        'INVALID_STATE',
        `Variant${removed.length > 1 ? 's' : ''} ${removed.map((key) => `"${key}"`).join(', ')} of flag "${flag.key}" ${removed.length > 1 ? 'are' : 'is'} still used: ${named}.`,
        { variants: removed, references },
      );
    }
  }
  await writeVariants(tx, flag.id, input.variants, new Date());
  await audit.record({
    type: 'flag.variants_updated',
    flagKey: flag.key,
    data: { flagKey: flag.key, added, removed, changed },
    before: { variants: flag.variants },
    after: { variants: input.variants },
  });
  return view(input.variants);
}
