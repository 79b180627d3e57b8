export { Backoff, type BackoffOptions } from './backoff';
export { type FlaglineApiPaths, FlaglineClient, type FlaglineClientOptions } from './client';
export { ChangeRequestPending, FlaglineApiError } from './errors';
export type { FlagStreamEvent, FlagStreamOptions } from './stream';
