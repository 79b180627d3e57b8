import { murmur3Unleash } from '../murmur3';
import { type AttributeReader, attributeReader, attributeString, type EvaluationContext } from './context';

/** Unleash's VARIANT_SEED (unleash-client lib/strategy/util.js). */
export const VARIANT_SEED = 86028157;

/** Unleash's normalizedValue: murmur3("<groupId>:<id>", seed) % normalizer + 1. */
export function normalizedHash(id: string, groupId: string, normalizer: number, seed = 0): number {
  return (murmur3Unleash(`${groupId}:${id}`, seed) % normalizer) + 1;
}

/** A rule rollout's bucket, 1..100, as Unleash's flexibleRollout computes it. */
export function rolloutBucket(stickinessValue: string, groupId: string): number {
  return normalizedHash(stickinessValue, groupId, 100, 0);
}

/** Reads the value a rollout or split is sticky on; undefined when the context has none. */
export type StickinessReader = (context: EvaluationContext) => string | undefined;

/**
 * flexibleRollout's default stickiness: `userId || sessionId` (userId = the targeting key) (truthy, as Unleash). Unleash then falls back to a
 * random value; Flagline keeps such a context out of partial rollouts instead.
 */
const defaultRolloutStickiness: StickinessReader = (context) => {
  const value = context.targetingKey || context.sessionId;
  return value ? attributeString(value) : undefined;
};

/** Unleash's getSeed() for variants with stickiness "default": the first non-empty string of these. */
const defaultSplitStickiness: StickinessReader = (context) => {
  const key = context.targetingKey;
  if (typeof key === 'string' && key !== '') return key;
  const session = context.sessionId;
  if (typeof session === 'string' && session !== '') return session;
  const address = context.remoteAddress;
  if (typeof address === 'string' && address !== '') return address;
  return undefined;
};

function customStickiness(path: string): StickinessReader {
  const read: AttributeReader = attributeReader(path);
  return (context) => attributeString(read(context)) || undefined;
}

export function rolloutStickiness(path: string | undefined): StickinessReader {
  return path === undefined || path === 'default' ? defaultRolloutStickiness : customStickiness(path);
}

export function splitStickiness(path: string | undefined): StickinessReader {
  return path === undefined || path === 'default' ? defaultSplitStickiness : customStickiness(path);
}

/**
 * Unleash's selectVariantDefinition (without its per-variant overrides, which Flagline models as rules): the target
 * normalizedHash(seed, groupId, totalWeight, VARIANT_SEED), then the first variant, skipping weight 0, whose
 * cumulative weight reaches it. Returns the index into `weights`, or -1 when the weights add up to 0.
 */
export function selectSplitIndex(
  weights: readonly number[],
  totalWeight: number,
  seed: string,
  groupId: string,
): number {
  if (totalWeight <= 0) return -1;
  const target = normalizedHash(seed, groupId, totalWeight, VARIANT_SEED);
  let counter = 0;
  for (let index = 0; index < weights.length; index++) {
    const weight = weights[index] ?? 0;
    if (weight === 0) continue;
    counter += weight;
    if (counter >= target) return index;
  }
  return -1;
}
