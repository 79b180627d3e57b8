import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'fl_';

/** 256 random bits: stored only as a SHA-256 hash, which is enough for a secret this long (no need for a slow KDF). */
export function generateTokenSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function constantTimeEquals(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
