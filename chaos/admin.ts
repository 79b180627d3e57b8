import { FlaglineClient } from '../packages/sdk/src/client';
import { FlaglineApiError } from '../packages/sdk/src/errors';

export const ADMIN_TOKEN = 'chaos-admin-token-0123456789abcdef';
export const ENVIRONMENT = 'production';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An admin API client whose requests give up after `timeoutMs` (an instance killed mid-request never answers). */
export function adminClient(url: string, timeoutMs = 10_000): FlaglineClient {
  return new FlaglineClient({
    url,
    token: ADMIN_TOKEN,
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
  });
}

/**
 * rejected: the server answered 4xx, so nothing changed. unknown: no answer, a timeout or a 5xx — the change may or
 * may not have committed (the instance may have died after the commit), so the checks must hold either way.
 */
export function classify(error: unknown): 'rejected' | 'unknown' {
  return error instanceof FlaglineApiError && error.status >= 400 && error.status < 500 ? 'rejected' : 'unknown';
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(
  concurrency: number,
  items: T[],
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

export function flagKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}

export async function createFlags(client: FlaglineClient, keys: string[]): Promise<void> {
  await inParallel(5, keys, async (key) => {
    await client.createFlag({ key, description: 'chaos harness' });
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
