import type { FlaglineClient } from '@flagline/sdk';

/** What a query needs from the session: the API client and, for per-environment resources, the environment. */
export interface ApiScope {
  client: FlaglineClient;
  environment: string;
}

/** How often lists that the change stream does not cover (schedules, audit) are re-read: inside the 2 s promise. */
export const POLL_MS = 1500;
