import fc from 'fast-check';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { murmur3, murmur3Prefix, murmur3Prefixed } from '../src/murmur3';

const utf8 = new TextEncoder();

describe('the npm murmurhash reference', () => {
  it('hashes strings as UTF-8 bytes, not the low byte of each UTF-16 unit', () => {
    for (const text of ['josé', '用户', '🚀', 'ümlaut:🙂']) {
      const asUtf8 = murmurhash.v3(utf8.encode(text), 0);
      const lowBytes = murmurhash.v3(
        Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff),
        0,
      );
      expect(murmurhash.v3(text, 0)).toBe(asUtf8);
      expect(asUtf8).not.toBe(lowBytes);
    }
  });
});

describe('murmur3 (MurmurHash3 x86_32)', () => {
  // Published MurmurHash3 x86_32 vectors (SMHasher / common test suites); each also checked against npm murmurhash.
  const published: ReadonlyArray<readonly [string, number, number]> = [
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['test', 0, 0xba6bd213],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ];

  it.each(published)('murmur3(%j, %d) is the published value', (text, seed, expected) => {
    expect(murmurhash.v3(utf8.encode(text), seed)).toBe(expected);
    expect(murmur3(text, seed)).toBe(expected);
  });

  it('defaults the seed to 0', () => {
    expect(murmur3('hello')).toBe(0x248bfa47);
  });

  it('matches the reference for every tail length and for multi-byte characters straddling 4-byte blocks', () => {
    for (const unit of ['a', 'é', '用', '🚀']) {
      for (let prefix = 0; prefix < 4; prefix++) {
        for (let repeat = 0; repeat < 6; repeat++) {
          const text = 'x'.repeat(prefix) + unit.repeat(repeat);
          expect(murmur3(text, 0), JSON.stringify(text)).toBe(murmurhash.v3(utf8.encode(text), 0));
        }
      }
    }
  });

  it('encodes lone surrogates as U+FFFD, like TextEncoder', () => {
    for (const text of [
      '\ud800',
      '\udc00',
      'a\ud83d',
      '\ud83db',
      '\ude80\ud83d',
      'x\ud83d\ud83d\ude80y',
      '\ud83d\ude80',
    ]) {
      expect(murmur3(text, 0), JSON.stringify(text)).toBe(murmurhash.v3(utf8.encode(text), 0));
    }
  });

  it('matches the reference on arbitrary strings, including lone surrogates, for any seed', () => {
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: anyCodeUnit, maxLength: 40 }),
    );
    const seed32 = fc
      .tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }))
      .map(([high, low]) => high * 0x10000 + low);
    fc.assert(
      fc.property(text, seed32, (input, seed) => {
        expect(murmur3(input, seed)).toBe(murmurhash.v3(utf8.encode(input), seed));
      }),
      { numRuns: 2000, seed: 20240601 },
    );
  });
});

describe('murmur3Prefixed', () => {
  it('hashes prefix + text exactly as murmur3 hashes the concatenation', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer(),
        (prefix, text, seed) => {
          expect(murmur3Prefixed(murmur3Prefix(prefix, seed), text)).toBe(murmur3(prefix + text, seed));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
