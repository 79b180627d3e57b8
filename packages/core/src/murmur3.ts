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
