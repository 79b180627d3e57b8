import { FlaglineClient } from '@flagline/sdk';

/** The API client for a token, against the server that serves this page. */
export const createClient = (token: string) => new FlaglineClient({ url: window.location.origin, token });
