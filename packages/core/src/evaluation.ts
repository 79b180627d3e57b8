import { z } from 'zod';
import { murmur3 } from './murmur3';
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
export function bucket(flagKey: string, userId: string): number {
  return (murmur3(`${flagKey}:${userId}`, 0) % 100) + 1;
}

const NOT_FOUND: EvaluationResult = { value: false, reason: 'FLAG_NOT_FOUND' };
const DISABLED: EvaluationResult = { value: false, reason: 'DISABLED' };
const INCLUDED: EvaluationResult = { value: true, reason: 'TARGETING_MATCH' };
const EXCLUDED: EvaluationResult = { value: false, reason: 'TARGETING_MATCH' };
const STATIC_ON: EvaluationResult = { value: true, reason: 'STATIC' };
const STATIC_OFF: EvaluationResult = { value: false, reason: 'STATIC' };
const ANONYMOUS: EvaluationResult = { value: false, reason: 'DEFAULT' };
const SPLIT_ON: EvaluationResult = { value: true, reason: 'SPLIT' };
const SPLIT_OFF: EvaluationResult = { value: false, reason: 'SPLIT' };

/** The single evaluation rule (design §4), shared by the server and every SDK. */
export function evaluate(flag: EvaluableFlag | undefined, userId?: string | null): EvaluationResult {
  if (flag === undefined) return NOT_FOUND;
  if (!flag.enabled) return DISABLED; // the kill switch beats every override
  if (userId) {
    const override = flag.overrides.get(userId);
    if (override === 'exclude') return EXCLUDED;
    if (override === 'include') return INCLUDED;
  }
  if (flag.rolloutPercentage >= 100) return STATIC_ON;
  if (flag.rolloutPercentage <= 0) return STATIC_OFF;
  // Deliberate change from the origin, which served partial rollouts to every anonymous caller.
  if (!userId) return ANONYMOUS;
  return bucket(flag.key, userId) <= flag.rolloutPercentage ? SPLIT_ON : SPLIT_OFF;
}
