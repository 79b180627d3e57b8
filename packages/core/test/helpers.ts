import murmurhash from 'murmurhash';
import type { EvaluableFlag, OverrideType } from '../src/index';

const utf8 = new TextEncoder();

/** The reference for design §4 step 6, computed with the independent npm `murmurhash` over explicit UTF-8 bytes. */
export function referenceBucket(flagKey: string, userId: string): number {
  return (murmurhash.v3(utf8.encode(`${flagKey}:${userId}`), 0) % 100) + 1;
}

/** mulberry32: a tiny seeded PRNG, so every generated vector is the same on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const hex = (random: Random, length: number): string =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');

export const uuid = (random: Random): string =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(random, 3)}-${hex(random, 12)}`;

export function flag(overrides: Partial<EvaluableFlag> & { readonly include?: string[]; readonly exclude?: string[] }) {
  const map = new Map<string, OverrideType>();
  for (const id of overrides.include ?? []) map.set(id, 'include');
  for (const id of overrides.exclude ?? []) map.set(id, 'exclude');
  return {
    key: overrides.key ?? 'new-checkout',
    enabled: overrides.enabled ?? true,
    rolloutPercentage: overrides.rolloutPercentage ?? 50,
    overrides: overrides.overrides ?? map,
  } satisfies EvaluableFlag;
}
