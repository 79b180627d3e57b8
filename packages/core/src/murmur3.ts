const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  const next = h ^ k;
  return (Math.imul((next << 13) | (next >>> 19), 5) + 0xe6546b64) | 0;
}

function finish(h: number, tail: number, tailLength: number, length: number): number {
  let hash = h;
  if (tailLength > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    hash ^= Math.imul(k, C2);
  }
  hash ^= length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** UTF-8 bytes of the string, as TextEncoder produces them (a lone surrogate becomes U+FFFD). */
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * MurmurHash3 x86_32 of the string's UTF-8 bytes. Runs once per flag per evaluation, so ASCII text (flag keys and
 * nearly every user id) is hashed straight from its char codes; anything else goes through a UTF-8 encoding.
 */
export function murmur3(text: string, seed = 0): number {
  const length = text.length;
  let h = seed | 0;
  let i = 0;
  const blocksEnd = length & ~3;
  for (; i < blocksEnd; i += 4) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) >= 0x80) return murmur3Bytes(utf8(text), seed);
    h = mixBlock(h, a | (b << 8) | (c << 16) | (d << 24));
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return murmur3Bytes(utf8(text), seed);
    tail |= code << shift;
  }
  return finish(h, tail, length & 3, length);
}

export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  const length = bytes.length;
  let h = seed | 0;
  let i = 0;
  const blocksEnd = length & ~3;
  for (; i < blocksEnd; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) tail |= bytes[i]! << shift;
  return finish(h, tail, length & 3, length);
}

/**
 * MurmurHash3 x86_32 as the `murmurhash3js` package (and so unleash-client) computes it: one byte per UTF-16 code
 * unit, its low 8 bits. Identical to murmur3() for ASCII; differs for other text, which is why rule rollouts and
 * splits (whose distributions must match Unleash's) use this one.
 */
export function murmur3Unleash(text: string, seed = 0): number {
  const length = text.length;
  let h = seed | 0;
  let i = 0;
  const blocksEnd = length & ~3;
  for (; i < blocksEnd; i += 4) {
    const block =
      (text.charCodeAt(i) & 0xff) |
      ((text.charCodeAt(i + 1) & 0xff) << 8) |
      ((text.charCodeAt(i + 2) & 0xff) << 16) |
      ((text.charCodeAt(i + 3) & 0xff) << 24);
    h = mixBlock(h, block);
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) tail |= (text.charCodeAt(i) & 0xff) << shift;
  return finish(h, tail, length & 3, length);
}

/** murmur3()'s state after hashing a fixed ASCII prefix, so `prefix + text` can be hashed without building it. */
export interface Murmur3Prefix {
  readonly text: string;
  readonly seed: number;
  /** False when the prefix is not ASCII: murmur3Prefixed() then hashes the concatenation. */
  readonly ascii: boolean;
  readonly h: number;
  readonly tail: number;
  readonly tailLength: number;
}

export function murmur3Prefix(text: string, seed = 0): Murmur3Prefix {
  let h = seed | 0;
  let i = 0;
  const blocksEnd = text.length & ~3;
  for (; i < text.length; i++)
    if (text.charCodeAt(i) >= 0x80) return { text, seed, ascii: false, h, tail: 0, tailLength: 0 };
  for (i = 0; i < blocksEnd; i += 4) {
    h = mixBlock(
      h,
      text.charCodeAt(i) |
        (text.charCodeAt(i + 1) << 8) |
        (text.charCodeAt(i + 2) << 16) |
        (text.charCodeAt(i + 3) << 24),
    );
  }
  let tail = 0;
  for (let shift = 0; i < text.length; i++, shift += 8) tail |= text.charCodeAt(i) << shift;
  return { text, seed, ascii: true, h, tail, tailLength: text.length & 3 };
}

/** murmur3(prefix.text + text, prefix.seed), without allocating the concatenation when both are ASCII. */
export function murmur3Prefixed(prefix: Murmur3Prefix, text: string): number {
  if (!prefix.ascii) return murmur3(prefix.text + text, prefix.seed);
  let h = prefix.h;
  let block = prefix.tail;
  let filled = prefix.tailLength;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return murmur3(prefix.text + text, prefix.seed);
    block |= code << (filled << 3);
    if (++filled === 4) {
      h = mixBlock(h, block);
      block = 0;
      filled = 0;
    }
  }
  return finish(h, block, filled, prefix.text.length + length);
}
