export { FlaglineClient, type FlaglineClientOptions } from './client';
export { FlaglineApiError } from './errors';
export { readServerSentEvents, type ServerSentEvent } from './sse';
