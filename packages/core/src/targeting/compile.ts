import type { RulesetFlag } from '../delivery';
import { type BucketSalt, bucketSalt, type ShorthandOutcome } from '../evaluation';
import type { EvaluationContext } from './context';
import { compileConstraint, type Matcher } from './operators';
import { errorResolution, type Resolution, type ResolutionMetadata, type ResolutionReason } from './resolution';
import {
  BOOLEAN_VARIANTS,
  type FlagType,
  type Rule,
  type Segment,
  type Serve,
  type Split,
  type Variant,
} from './schemas';
import { rolloutBucket, rolloutStickiness, type StickinessReader, selectSplitIndex, splitStickiness } from './split';

export type CompiledServe =
  | { readonly kind: 'variant'; readonly resolution: Resolution }
  | {
      readonly kind: 'split';
      readonly weights: readonly number[];
      readonly totalWeight: number;
      readonly resolutions: readonly Resolution[];
      /** Served when the context has no stickiness value (Unleash would pick at random). */
      readonly withoutStickiness: Resolution;
      readonly stickiness: StickinessReader;
      readonly groupId: string;
    };

export interface CompiledRollout {
  readonly percentage: number;
  readonly stickiness: StickinessReader;
  readonly groupId: string;
  /**
   * Sticky on a named attribute: a context without it is kept out even at 100 %, as Unleash's flexibleRollout does
   * (`if (!stickinessId) return false`); with default stickiness Unleash falls back to a random value, so 100 % is all.
   */
  readonly requiresStickiness: boolean;
}

export interface CompiledRule {
  readonly id: string;
  /** The rule's constraints and those of every segment it references; all must hold. */
  readonly matchers: readonly Matcher[];
  readonly rollout: CompiledRollout | null;
  readonly serve: CompiledServe;
}

/** A flag prepared for evaluation: every Resolution it can answer is built here, once per snapshot. */
export interface CompiledFlag {
  readonly key: string;
  readonly type: FlagType;
  readonly enabled: boolean;
  readonly rolloutPercentage: number;
  readonly bucketSalt: BucketSalt;
  readonly disabled: Resolution;
  /** Targeting key → what its include/exclude override serves. */
  readonly overrides: ReadonlyMap<string, Resolution>;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: CompiledServe | null;
  /** The boolean shorthand's answers, when the flag is boolean without a fallthrough. */
  readonly shorthand: Readonly<Record<ShorthandOutcome, Resolution>> | null;
  /** What a non-boolean flag without a fallthrough serves when no rule matches. */
  readonly noMatch: Resolution;
  readonly source: RulesetFlag;
}

class FlagCompiler {
  readonly #variants = new Map<string, Variant>();
  readonly #cache = new Map<string, Resolution>();

  constructor(
    readonly flag: RulesetFlag,
    readonly type: FlagType,
  ) {
    const variants = flag.variants?.length ? flag.variants : type === 'boolean' ? BOOLEAN_VARIANTS : [];
    for (const variant of variants) if (!this.#variants.has(variant.key)) this.#variants.set(variant.key, variant);
  }

  get firstVariant(): string | undefined {
    return this.#variants.keys().next().value;
  }

  /** The variant serving `value` for a boolean flag: `on`/`off` unless the flag declares its own. */
  booleanVariant(value: boolean): string {
    const key = value ? 'on' : 'off';
    const declared = this.#variants.get(key);
    if (declared?.value === value) return key;
    for (const variant of this.#variants.values()) if (variant.value === value) return variant.key;
    return key;
  }

  resolution(variantKey: string, reason: ResolutionReason, metadata?: ResolutionMetadata): Resolution {
    const cacheKey = `${variantKey}\u0000${reason}\u0000${metadata?.ruleId ?? ''}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    const variant = this.#variants.get(variantKey);
    const resolution: Resolution =
      variant === undefined
        ? errorResolution('GENERAL', `flag "${this.flag.key}" serves variant "${variantKey}", which it does not define`)
        : Object.freeze(
            metadata === undefined
              ? { value: variant.value as Resolution['value'], variant: variant.key, reason }
              : { value: variant.value as Resolution['value'], variant: variant.key, reason, metadata },
          );
    this.#cache.set(cacheKey, resolution);
    return resolution;
  }

  serve(serve: Serve, reason: ResolutionReason, metadata?: ResolutionMetadata): CompiledServe {
    if ('variant' in serve) return { kind: 'variant', resolution: this.resolution(serve.variant, reason, metadata) };
    return this.split(serve.split, metadata);
  }

  split(split: Split, metadata?: ResolutionMetadata): CompiledServe {
    const weights = split.variants.map((entry) => entry.weight);
    const resolutions = split.variants.map((entry) => this.resolution(entry.variant, 'SPLIT', metadata));
    const first = split.variants.findIndex((entry) => entry.weight > 0);
    return {
      kind: 'split',
      weights,
      totalWeight: weights.reduce((sum, weight) => sum + weight, 0),
      resolutions,
      withoutStickiness:
        resolutions[first] ?? errorResolution('GENERAL', `flag "${this.flag.key}" has a split whose weights are all 0`),
      stickiness: splitStickiness(split.stickiness),
      groupId: split.groupId ?? this.flag.key,
    };
  }
}

function ruleMatchers(rule: Rule, segments: ReadonlyMap<string, Segment>): Matcher[] {
  const matchers = (rule.constraints ?? []).map(compileConstraint);
  for (const key of rule.segments ?? []) {
    const segment = segments.get(key);
    // A missing segment never matches, as in unleash-client (an undefined constraint fails the strategy).
    if (segment === undefined) return [() => false];
    for (const constraint of segment.constraints) matchers.push(compileConstraint(constraint));
  }
  return matchers;
}

/**
 * Compiles a ruleset flag once per snapshot. Never throws: a reference to a variant the flag does not define
 * compiles to an ERROR resolution (validateFlagTargeting() refuses such configurations before they are stored).
 */
export function compileFlag(flag: RulesetFlag, segments: ReadonlyMap<string, Segment> = new Map()): CompiledFlag {
  const type = flag.type ?? 'boolean';
  const compiler = new FlagCompiler(flag, type);
  const offKey = flag.offVariant ?? (type === 'boolean' ? compiler.booleanVariant(false) : compiler.firstVariant);
  const onKey =
    type === 'boolean'
      ? compiler.booleanVariant(true)
      : compiler.flag.variants?.some((v) => v.key === 'on')
        ? 'on'
        : undefined;
  const missingOff = errorResolution('GENERAL', `flag "${flag.key}" has no variant to serve when off`);
  const off = (reason: ResolutionReason) => (offKey === undefined ? missingOff : compiler.resolution(offKey, reason));

  const overrides = new Map<string, Resolution>();
  const pins = flag.overrides.pins ?? {};
  for (const userId of flag.overrides.include) {
    const pinned = Object.hasOwn(pins, userId) ? pins[userId] : undefined;
    const variant = pinned ?? onKey;
    // A non-boolean flag has no `on`: an include without a pin then changes nothing.
    if (variant !== undefined) overrides.set(userId, compiler.resolution(variant, 'TARGETING_MATCH'));
  }
  for (const userId of flag.overrides.exclude) overrides.set(userId, off('TARGETING_MATCH'));

  const rules = (flag.rules ?? []).map(
    (rule): CompiledRule => ({
      id: rule.id,
      matchers: ruleMatchers(rule, segments),
      rollout:
        rule.rollout === undefined
          ? null
          : {
              percentage: rule.rollout.percentage,
              stickiness: rolloutStickiness(rule.rollout.stickiness),
              requiresStickiness: rule.rollout.stickiness !== undefined && rule.rollout.stickiness !== 'default',
              groupId: rule.rollout.groupId ?? flag.key,
            },
      serve: compiler.serve(rule.serve, 'TARGETING_MATCH', Object.freeze({ ruleId: rule.id })),
    }),
  );

  const fallthroughReason: ResolutionReason = rules.length === 0 ? 'STATIC' : 'DEFAULT';
  const fallthrough = flag.fallthrough ? compiler.serve(flag.fallthrough, fallthroughReason) : null;
  const shorthand =
    type === 'boolean' && fallthrough === null
      ? Object.freeze({
          STATIC_ON: compiler.resolution(compiler.booleanVariant(true), 'STATIC'),
          STATIC_OFF: compiler.resolution(compiler.booleanVariant(false), 'STATIC'),
          ANONYMOUS: compiler.resolution(compiler.booleanVariant(false), 'DEFAULT'),
          SPLIT_ON: compiler.resolution(compiler.booleanVariant(true), 'SPLIT'),
          SPLIT_OFF: compiler.resolution(compiler.booleanVariant(false), 'SPLIT'),
        })
      : null;

  return {
    key: flag.key,
    type,
    enabled: flag.enabled,
    rolloutPercentage: flag.rolloutPercentage,
    bucketSalt: bucketSalt(flag.key),
    disabled: off('DISABLED'),
    overrides,
    rules,
    fallthrough,
    shorthand,
    noMatch: off('DEFAULT'),
    source: flag,
  };
}

/** Whether a context passes a rule's rollout; no stickiness value keeps it out of any partial rollout. */
export function inRollout(rollout: CompiledRollout, context: EvaluationContext): boolean {
  if (rollout.percentage <= 0) return false;
  if (rollout.percentage >= 100) return !rollout.requiresStickiness || rollout.stickiness(context) !== undefined;
  const value = rollout.stickiness(context);
  return value !== undefined && rolloutBucket(value, rollout.groupId) <= rollout.percentage;
}

export function serveFor(serve: CompiledServe, context: EvaluationContext): Resolution {
  if (serve.kind === 'variant') return serve.resolution;
  const seed = serve.stickiness(context);
  if (seed === undefined) return serve.withoutStickiness;
  const index = selectSplitIndex(serve.weights, serve.totalWeight, seed, serve.groupId);
  return serve.resolutions[index] ?? serve.withoutStickiness;
}
