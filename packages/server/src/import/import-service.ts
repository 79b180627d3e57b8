import { isDeepStrictEqual } from 'node:util';
import {
  BOOLEAN_VARIANTS,
  type ConvertUnleashOptions,
  convertUnleashExport,
  ENVIRONMENT_EXPORT_FORMAT,
  type EnvironmentExport,
  type EnvironmentTargeting,
  type ExportedFlag,
  type FlagType,
  type ImportResult,
  type RequestedChange,
  type Segment,
  type UnsupportedPart,
  type Variant,
  validateFlagTargeting,
  validateSegment,
} from '@flagline/core';
import type { Db, Executor } from '../db/client';
import type { ChangeScope } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { createFlagIn } from '../flags/flag-service';
import { requireFlagByKey, setState } from '../flags/flag-store';
import { setVariantsIn, updateTargetingIn } from '../flags/targeting-service';
import { createSegmentIn, updateSegmentIn } from '../segments/segment-service';
import { AppError } from '../shared/errors';
import { allSegments, findFlags, findSegments, readEnvironment, replaceOverrides } from './import-store';

/** One flag as an import brings it: its definition, its targeting in the environment and (Flagline's) overrides. */
interface IncomingFlag {
  key: string;
  description: string;
  type: FlagType;
  variants: Variant[];
  targeting: EnvironmentTargeting;
  overrides?: ExportedFlag['overrides'];
}

interface ImportPlan {
  source: 'unleash' | 'flagline';
  environment: string;
  flags: readonly IncomingFlag[];
  segments: readonly Segment[];
  unsupported: UnsupportedPart[];
  dryRun: boolean;
  onExisting: 'fail' | 'replace';
}

export interface ImportOptions {
  environment: string;
  dryRun: boolean;
  onExisting: 'fail' | 'replace';
}

/** jsonb keeps no key order, so stored and incoming values are compared structurally. */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/** The engine's own checks (variant values, every reference, operator values), plus pinned overrides. */
function flagProblems(flag: IncomingFlag, segmentKeys: ReadonlySet<string>, path: string): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const problem of validateFlagTargeting({ ...flag, segmentKeys })) {
    problems[`${path}.${problem.path}`] = problem.message;
  }
  const variants = flag.variants.length > 0 ? flag.variants : flag.type === 'boolean' ? BOOLEAN_VARIANTS : [];
  const keys = new Set(variants.map((variant) => variant.key));
  for (const override of flag.overrides ?? []) {
    if (override.variant !== null && !keys.has(override.variant)) {
      problems[`${path}.overrides`] = `user "${override.userId}" is pinned to "${override.variant}", not a variant`;
    }
  }
  return problems;
}

/**
 * Plans and (unless a dry run) applies an import in one transaction: flags, segments and targeting, a flag.created or
 * flag.updated event per flag and one config.imported event. What already exists is a conflict (409 listing it)
 * unless onExisting is replace: for Unleash's import any flag key; for Flagline's own only a flag whose definition
 * (type, variants, description) differs, since promoting an environment means replacing targeting of flags that
 * exist everywhere. A segment is a conflict when it exists with other contents.
 */
async function runImport(tx: Executor, plan: ImportPlan, scope?: ChangeScope): Promise<ImportResult> {
  {
    await requireEnvironment(tx, plan.environment);
    const existingFlags = await findFlags(
      tx,
      plan.flags.map((flag) => flag.key),
    );
    const existingSegments = await findSegments(
      tx,
      plan.segments.map((segment) => segment.key),
    );
    const segmentKeys = new Set([...(await allSegments(tx)).map((segment) => segment.key)]);
    for (const segment of plan.segments) segmentKeys.add(segment.key);
    const problems: Record<string, string> = {};
    for (const [index, segment] of plan.segments.entries()) {
      for (const problem of validateSegment(segment)) problems[`segments.${index}.${problem.path}`] = problem.message;
    }
    for (const [index, flag] of plan.flags.entries()) {
      Object.assign(problems, flagProblems(flag, segmentKeys, `flags.${index}`));
    }
    if (Object.keys(problems).length > 0) {
      throw new AppError('VALIDATION_FAILED', `Invalid body: ${Object.entries(problems)[0]?.join(': ')}`, {
        location: 'body',
        fields: problems,
      });
    }

    const flagConflicts: string[] = [];
    const flagActions = plan.flags.map((flag) => {
      const existing = existingFlags.get(flag.key);
      if (!existing) return { flag, existing, action: 'create' as const };
      const definitionDiffers =
        existing.type !== flag.type ||
        existing.description !== flag.description ||
        !same(existing.variants, flag.variants);
      if (plan.source === 'unleash' || definitionDiffers) flagConflicts.push(flag.key);
      return { flag, existing, action: 'replace' as const };
    });
    const retyped = flagActions.filter(({ flag, existing }) => existing && existing.type !== flag.type);
    if (retyped.length > 0) {
      throw new AppError(
        'INVALID_STATE',
        `A flag's type cannot change: ${retyped.map(({ flag, existing }) => `"${flag.key}" is ${existing?.type}, the import has ${flag.type}`).join('; ')}.`,
        { flags: retyped.map(({ flag }) => flag.key) },
      );
    }
    const segmentConflicts: string[] = [];
    const segmentActions = plan.segments.map((segment) => {
      const existing = existingSegments.get(segment.key);
      if (!existing) return { segment, action: 'create' as const };
      if (same(existing, segment)) return { segment, action: 'unchanged' as const };
      segmentConflicts.push(segment.key);
      return { segment, action: 'replace' as const };
    });
    if (plan.onExisting === 'fail' && flagConflicts.length + segmentConflicts.length > 0) {
      throw new AppError(
        'ALREADY_EXISTS',
        `Already exist: ${[...flagConflicts.map((key) => `flag "${key}"`), ...segmentConflicts.map((key) => `segment "${key}"`)].join(', ')}; import with onExisting=replace to replace them.`,
        { flags: flagConflicts, segments: segmentConflicts },
      );
    }

    const result: ImportResult = {
      dryRun: plan.dryRun,
      environment: plan.environment,
      flags: flagActions.map(({ flag, action }) => ({ key: flag.key, action, rules: flag.targeting.rules.length })),
      segments: segmentActions.map(({ segment, action }) => ({ key: segment.key, action })),
      unsupported: plan.unsupported,
    };
    if (!scope) return result;

    const { audit } = scope;
    for (const { segment, action } of segmentActions) {
      const { key, ...body } = segment;
      if (action === 'create') await createSegmentIn(scope, segment);
      if (action === 'replace') await updateSegmentIn(scope, { key, body });
    }
    const overridesBefore = new Map(
      plan.source === 'flagline'
        ? (await readEnvironment(tx, plan.environment)).map((flag) => [flag.key, flag.overrides])
        : [],
    );
    for (const { flag, existing } of flagActions) {
      const { key, description, type, variants } = flag;
      let flagId: string;
      if (!existing) {
        await createFlagIn(scope, { key, description, type, variants }, plan.environment);
        flagId = (await requireFlagByKey(tx, key)).id;
      } else {
        flagId = existing.id;
        if (existing.description !== description) {
          await setState(tx, flagId, plan.environment, { description }, new Date());
          await audit.record({
            type: 'flag.updated',
            environment: plan.environment,
            flagKey: key,
            data: { flagKey: key, changedFields: ['description'] },
            before: { description: existing.description },
            after: { description },
          });
        }
        // The new targeting may serve variants the flag does not have yet, and other environments may still serve
        // ones the import drops: add first, remove after (setVariants answers 409 naming what still uses them).
        const incoming = new Set(variants.map((variant) => variant.key));
        const union = [...variants, ...existing.variants.filter((variant) => !incoming.has(variant.key))];
        await setVariantsIn(scope, { key, variants: union });
      }
      await updateTargetingIn(scope, { key, environment: plan.environment, patch: flag.targeting });
      if (existing) await setVariantsIn(scope, { key, variants });
      if (flag.overrides && !same(overridesBefore.get(key) ?? [], flag.overrides)) {
        await replaceOverrides(tx, flagId, plan.environment, flag.overrides, scope.actor.id);
        await audit.record({
          type: 'flag.updated',
          environment: plan.environment,
          flagKey: key,
          data: { flagKey: key, changedFields: ['overrides'] },
          before: { overrides: overridesBefore.get(key) ?? [] },
          after: { overrides: flag.overrides },
        });
      }
    }
    await audit.record({
      type: 'config.imported',
      environment: plan.environment,
      data: {
        source: plan.source,
        flags: result.flags.map(({ key, action }) => ({ key, action })),
        segments: result.segments,
        unsupported: plan.unsupported,
      },
      before: null,
      after: null,
    });
    return result;
  }
}

/** An import, carried out in the caller's transaction: at once, or when a second admin approves it. */
export function importIn(scope: ChangeScope, environment: string, change: ImportChange): Promise<ImportResult> {
  return runImport(scope.tx, { ...change, environment, dryRun: false }, scope);
}

/** What an import would do (a dry run): the same checks and result, in a transaction of its own, changing nothing. */
export function planImport(db: Db, environment: string, change: ImportChange): Promise<ImportResult> {
  return db.transaction((tx) => runImport(tx, { ...change, environment, dryRun: true }));
}

/** An import as a change: what is carried out at once, or stored for approval in a protected environment. */
export type ImportChange = Extract<RequestedChange, { kind: 'config.import' }>;

/** Converts Unleash's export (see convertUnleashExport) into the import of its flags and segments. */
export function unleashImportChange(
  body: unknown,
  options: Pick<ImportOptions, 'onExisting'> & Pick<ConvertUnleashOptions, 'segments'>,
): ImportChange {
  const converted = convertUnleashExport(body, options.segments ? { segments: options.segments } : {});
  return {
    kind: 'config.import',
    source: 'unleash',
    flags: converted.flags,
    segments: converted.segments,
    unsupported: converted.unsupported,
    onExisting: options.onExisting,
  };
}

/** Flagline's own export of an environment (possibly another one: development → production), as an import. */
export function environmentImportChange(body: EnvironmentExport, options: Pick<ImportOptions, 'onExisting'>) {
  return {
    kind: 'config.import',
    source: 'flagline',
    flags: body.flags,
    segments: body.segments,
    unsupported: [],
    onExisting: options.onExisting,
  } satisfies ImportChange;
}

export async function exportEnvironment(db: Db, environment: string): Promise<EnvironmentExport> {
  return db.transaction(async (tx) => {
    await requireEnvironment(tx, environment);
    return {
      format: ENVIRONMENT_EXPORT_FORMAT,
      environment,
      exportedAt: new Date().toISOString(),
      flags: await readEnvironment(tx, environment),
      segments: await allSegments(tx),
    };
  });
}
