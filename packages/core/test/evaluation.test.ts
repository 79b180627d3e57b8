import { describe, expect, it } from 'vitest';
import { bucket, evaluate } from '../src/evaluation';
import { flag, int, pick, prng, type Random, referenceBucket, uuid } from './helpers';

const NON_ASCII_IDS = [
  'josé',
  'José',
  'Zoë',
  'François',
  'Ünïcödé',
  '用户',
  '用户-42',
  'ユーザー',
  '사용자',
  'пользователь',
  'مستخدم',
  'משתמש',
  'ผู้ใช้',
  'e\u0301', // combining accent
  '🚀',
  '👩‍💻',
  '🇫🇷',
  'user🙂',
  'naïve@exämple.com',
  'δοκιμή',
];
const FLAG_KEYS = ['new-checkout', 'dark-mode', 'a', 'b', 'search.v2', 'beta_banner', '42', 'pricing-page-2025'];
const DOMAINS = ['example.com', 'acme.io', 'mail.co.uk', 'corp.internal'];

type IdKind = 'uuid' | 'number' | 'email' | 'slug' | 'non-ascii';
const ID_KINDS: readonly IdKind[] = ['uuid', 'number', 'email', 'slug', 'non-ascii'];

function userId(random: Random, kind: IdKind): string {
  switch (kind) {
    case 'uuid':
      return uuid(random);
    case 'number':
      return String(int(random, 0, random() < 0.5 ? 999 : 9_999_999_999));
    case 'email':
      return `user.${int(random, 1, 99_999)}@${pick(random, DOMAINS)}`;
    case 'slug':
      return `user-${int(random, 1, 1_000_000)}`;
    case 'non-ascii':
      return random() < 0.5 ? pick(random, NON_ASCII_IDS) : `${pick(random, NON_ASCII_IDS)}-${int(random, 1, 9999)}`;
  }
}

function flagKey(random: Random): string {
  const base = pick(random, FLAG_KEYS);
  return random() < 0.5 ? base : `${base}-${int(random, 1, 500)}`;
}

interface Vector {
  readonly flagKey: string;
  readonly userId: string;
  readonly kind: IdKind;
}

function goldenVectors(count: number): Vector[] {
  const random = prng(0xf1a9);
  return Array.from({ length: count }, (_, i) => {
    const kind = ID_KINDS[i % ID_KINDS.length] ?? 'uuid';
    return { flagKey: flagKey(random), userId: userId(random, kind), kind };
  });
}

describe('bucket: golden vectors against npm murmurhash', () => {
  const vectors = goldenVectors(1000);

  it('generates a deterministic mix of ASCII and non-ASCII ids', () => {
    expect(vectors).toHaveLength(1000);
    expect(new Set(vectors.map((v) => `${v.flagKey}:${v.userId}`)).size).toBeGreaterThan(950);
    expect(vectors.filter((v) => v.kind === 'non-ascii')).toHaveLength(200);
    expect(
      vectors
        .filter((v) => v.kind === 'non-ascii')
        .every((v) => [...v.userId].some((char) => char.codePointAt(0)! > 0x7f)),
    ).toBe(true);
    expect(goldenVectors(1000)).toEqual(vectors);
  });

  it('bucket(flagKey, userId) === (murmurhash.v3("<flagKey>:<userId>", 0) % 100) + 1 for all 1,000 pairs', () => {
    const mismatches = vectors
      .map((v) => ({ ...v, actual: bucket(v.flagKey, v.userId), expected: referenceBucket(v.flagKey, v.userId) }))
      .filter((v) => v.actual !== v.expected);
    expect(mismatches).toEqual([]);
  });

  it('evaluate() serves exactly the users whose bucket is ≤ the rollout (reason SPLIT)', () => {
    const random = prng(7);
    for (const v of vectors) {
      const rolloutPercentage = int(random, 1, 99);
      const expected = referenceBucket(v.flagKey, v.userId) <= rolloutPercentage;
      expect(evaluate(flag({ key: v.flagKey, rolloutPercentage }), v.userId)).toEqual({
        value: expected,
        reason: 'SPLIT',
      });
    }
  });

  it('keeps buckets within 1..100 and pins a few literal values', () => {
    for (const v of vectors) {
      const b = bucket(v.flagKey, v.userId);
      expect(b).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThanOrEqual(100);
    }
    // Literal values taken from the npm murmurhash reference; they guard the reference itself against drift.
    for (const [key, id, expected] of [
      ['new-checkout', 'user-123', 88],
      ['new-checkout', 'josé', 25],
      ['dark-mode', '用户', 85],
      ['dark-mode', '🚀', 52],
    ] as const) {
      expect(referenceBucket(key, id)).toBe(expected);
      expect(bucket(key, id)).toBe(expected);
    }
  });
});

describe('evaluate: the origin cases (design §4)', () => {
  it('unknown flag (undefined) → false, FLAG_NOT_FOUND', () => {
    expect(evaluate(undefined, 'user-1')).toEqual({ value: false, reason: 'FLAG_NOT_FOUND' });
    expect(evaluate(undefined)).toEqual({ value: false, reason: 'FLAG_NOT_FOUND' });
  });

  it('disabled → false, DISABLED', () => {
    expect(evaluate(flag({ enabled: false, rolloutPercentage: 100 }), 'user-1')).toEqual({
      value: false,
      reason: 'DISABLED',
    });
    expect(evaluate(flag({ enabled: false, rolloutPercentage: 50 }))).toEqual({ value: false, reason: 'DISABLED' });
  });

  it('100% → true, STATIC (with or without a user id)', () => {
    expect(evaluate(flag({ rolloutPercentage: 100 }), 'user-1')).toEqual({ value: true, reason: 'STATIC' });
    expect(evaluate(flag({ rolloutPercentage: 100 }))).toEqual({ value: true, reason: 'STATIC' });
  });

  it('0% → false, STATIC (with or without a user id)', () => {
    expect(evaluate(flag({ rolloutPercentage: 0 }), 'user-1')).toEqual({ value: false, reason: 'STATIC' });
    expect(evaluate(flag({ rolloutPercentage: 0 }))).toEqual({ value: false, reason: 'STATIC' });
  });

  it('50% is stable across calls: same user, 100 calls, same answer (SPLIT)', () => {
    for (const id of ['user-1', 'user-2', 'josé', '用户', '🚀']) {
      const f = flag({ rolloutPercentage: 50 });
      const first = evaluate(f, id);
      expect(first.reason).toBe('SPLIT');
      expect(first.value).toBe(referenceBucket(f.key, id) <= 50);
      for (let call = 0; call < 100; call++) expect(evaluate(flag({ rolloutPercentage: 50 }), id)).toEqual(first);
    }
  });

  it('exclude override on a 100% flag → false, TARGETING_MATCH', () => {
    const f = flag({ rolloutPercentage: 100, exclude: ['user-1'] });
    expect(evaluate(f, 'user-1')).toEqual({ value: false, reason: 'TARGETING_MATCH' });
    expect(evaluate(f, 'user-2')).toEqual({ value: true, reason: 'STATIC' });
  });

  it('include override on a 0% flag → true, TARGETING_MATCH', () => {
    const f = flag({ rolloutPercentage: 0, include: ['user-1'] });
    expect(evaluate(f, 'user-1')).toEqual({ value: true, reason: 'TARGETING_MATCH' });
    expect(evaluate(f, 'user-2')).toEqual({ value: false, reason: 'STATIC' });
  });

  it('overrides beat a partial rollout in both directions', () => {
    const random = prng(3);
    const ids = Array.from({ length: 200 }, () => uuid(random));
    const f = flag({ rolloutPercentage: 50, include: ids.slice(0, 100), exclude: ids.slice(100) });
    for (const id of ids.slice(0, 100)) expect(evaluate(f, id)).toEqual({ value: true, reason: 'TARGETING_MATCH' });
    for (const id of ids.slice(100)) expect(evaluate(f, id)).toEqual({ value: false, reason: 'TARGETING_MATCH' });
  });

  it('disabled + include → false, DISABLED (the kill switch beats every override)', () => {
    const f = flag({ enabled: false, rolloutPercentage: 100, include: ['user-1'] });
    expect(evaluate(f, 'user-1')).toEqual({ value: false, reason: 'DISABLED' });
  });

  it('no user id on a 50% flag → false, DEFAULT (undefined, null and empty string)', () => {
    const f = flag({ rolloutPercentage: 50 });
    expect(evaluate(f)).toEqual({ value: false, reason: 'DEFAULT' });
    expect(evaluate(f, undefined)).toEqual({ value: false, reason: 'DEFAULT' });
    expect(evaluate(f, null)).toEqual({ value: false, reason: 'DEFAULT' });
    expect(evaluate(f, '')).toEqual({ value: false, reason: 'DEFAULT' });
  });
});

describe('rollout distribution', () => {
  const random = prng(0xd15);
  const users = Array.from({ length: 10_000 }, () => uuid(random));
  const served = (key: string, rolloutPercentage: number): Set<string> =>
    new Set(users.filter((id) => evaluate(flag({ key, rolloutPercentage }), id).value));

  it('has 10,000 distinct user ids', () => {
    expect(new Set(users).size).toBe(10_000);
  });

  it('a 30% rollout serves between 28% and 32% of 10,000 users', () => {
    const share = served('new-checkout', 30).size / users.length;
    expect(share).toBeGreaterThanOrEqual(0.28);
    expect(share).toBeLessThanOrEqual(0.32);
  });

  it('raising the rollout from 30% to 50% keeps every user who had it', () => {
    const at30 = served('new-checkout', 30);
    const at50 = served('new-checkout', 50);
    expect([...at30].filter((id) => !at50.has(id))).toEqual([]);
    expect(at50.size).toBeGreaterThan(at30.size);
  });

  it('is monotonic at every step from 0% to 100%', () => {
    const losses: string[] = [];
    for (const id of users.slice(0, 2000)) {
      let had = false;
      for (let rolloutPercentage = 0; rolloutPercentage <= 100; rolloutPercentage++) {
        const value = evaluate(flag({ rolloutPercentage }), id).value;
        if (had && !value) losses.push(`${id} lost the flag at ${rolloutPercentage}%`);
        had = value;
      }
      if (!had) losses.push(`${id} never got the flag`);
    }
    expect(losses).toEqual([]);
  });

  it('is salted by flag key: the 10% rollouts of flags "a" and "b" reach different users', () => {
    const a = served('a', 10);
    const b = served('b', 10);
    for (const set of [a, b]) {
      expect(set.size).toBeGreaterThan(800);
      expect(set.size).toBeLessThan(1200);
    }
    expect(a).not.toEqual(b);
    // Independent 10% samples overlap on about 1% of users; unsalted hashing would overlap on all 10%.
    const overlap = [...a].filter((id) => b.has(id)).length;
    expect(overlap).toBeLessThan(250);
  });
});
