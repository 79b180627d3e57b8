import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so the same event always hashes the same (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export interface HashedContent {
  type: string;
  occurredAt: string;
  actor: { type: string; id: string; email: string | null };
  environment: string | null;
  flagKey: string | null;
  scheduleId: string | null;
  requestId: string | null;
  data: unknown;
  before: unknown;
  after: unknown;
}

export function chainHash(prevHash: string | null, content: HashedContent): string {
  return createHash('sha256')
    .update(prevHash ?? '')
    .update(canonicalJson(content))
    .digest('hex');
}
