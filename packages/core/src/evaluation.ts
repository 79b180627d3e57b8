import { z } from 'zod';
import { type Murmur3Prefix, murmur3, murmur3Prefix, murmur3Prefixed } from './murmur3';
import type { OverrideType } from './overrides';

export const evaluationReasonSchema = z.enum([
  'FLAG_NOT_FOUND',
  'DISABLED',
  'TARGETING_MATCH',
  'STATIC',
  'DEFAULT',
  'SPLIT',
]);
export type EvaluationReason = z.infer<typeof evaluationReasonSchema>;

/** What evaluation needs to know about one flag in one environment. */
export interface EvaluableFlag {
  readonly key: string;
  readonly enabled: boolean;
  readonly rolloutPercentage: number;
  readonly overrides: ReadonlyMap<string, OverrideType>;
}

export interface EvaluationResult {
  readonly value: boolean;
  readonly reason: EvaluationReason;
}

/**
 * The user's bucket, 1..100, for a flag. Salted by flag key so different flags roll out to different users first;
 * the same normalisation as Unleash's gradual rollout with groupId = flag key, so migrated rollouts keep their users.
 */
export function bucket(flagKey: string | BucketSalt, userId: string): number {
  if (typeof flagKey !== 'string') return (murmur3Prefixed(flagKey, userId) % 100) + 1;
  return (murmur3(`${flagKey}:${userId}`, 0) % 100) + 1;
}

/** A flag's bucket salt, precomputed once per snapshot so bucket() builds no string per call. */
export type BucketSalt = Murmur3Prefix;

export function bucketSalt(flagKey: string): BucketSalt {
  return murmur3Prefix(`${flagKey}:`, 0);
}

/** Where a boolean flag's `rolloutPercentage` shorthand puts a caller (design §4 steps 5–6). */
export type ShorthandOutcome = 'STATIC_ON' | 'STATIC_OFF' | 'ANONYMOUS' | 'SPLIT_ON' | 'SPLIT_OFF';

/** The boolean shorthand, shared by evaluate() and the targeting engine's evaluateFlag(): one behaviour, one place. */
export function rolloutShorthand(
  flagKey: string | BucketSalt,
  rolloutPercentage: number,
  userId: string | null | undefined,
): ShorthandOutcome {
  if (rolloutPercentage >= 100) return 'STATIC_ON';
  if (rolloutPercentage <= 0) return 'STATIC_OFF';
  // Deliberate change from the origin, which served partial rollouts to every anonymous caller.
  if (!userId) return 'ANONYMOUS';
  return bucket(flagKey, userId) <= rolloutPercentage ? 'SPLIT_ON' : 'SPLIT_OFF';
}

const NOT_FOUND: EvaluationResult = { value: false, reason: 'FLAG_NOT_FOUND' };
const DISABLED: EvaluationResult = { value: false, reason: 'DISABLED' };
const INCLUDED: EvaluationResult = { value: true, reason: 'TARGETING_MATCH' };
const EXCLUDED: EvaluationResult = { value: false, reason: 'TARGETING_MATCH' };
const SHORTHAND: Readonly<Record<ShorthandOutcome, EvaluationResult>> = {
  STATIC_ON: { value: true, reason: 'STATIC' },
  STATIC_OFF: { value: false, reason: 'STATIC' },
  ANONYMOUS: { value: false, reason: 'DEFAULT' },
  SPLIT_ON: { value: true, reason: 'SPLIT' },
  SPLIT_OFF: { value: false, reason: 'SPLIT' },
};

/**
 * The origin's boolean evaluation (design §4), shared by the server and every SDK. evaluateFlag() in
 * ./targeting answers the same for a boolean flag without rules; this stays as the userId-only entry point.
 */
export function evaluate(flag: EvaluableFlag | undefined, userId?: string | null): EvaluationResult {
  if (flag === undefined) return NOT_FOUND;
  if (!flag.enabled) return DISABLED; // the kill switch beats every override
  if (userId) {
    const override = flag.overrides.get(userId);
    if (override === 'exclude') return EXCLUDED;
    if (override === 'include') return INCLUDED;
  }
  return SHORTHAND[rolloutShorthand(flag.key, flag.rolloutPercentage, userId)];
}
