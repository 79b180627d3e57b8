import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { environmentKeySchema } from '@flagline/core';
import type { Authenticator } from '../auth/authenticator';
import { evaluations, httpDuration } from '../http/metrics';
import type { SnapshotStore } from './snapshot';

const PATH = '/api/config/flags';
const REQUEST_ID = /^[\w\-=]{1,255}$/;

/**
 * GET /api/config/flags is what every application calls, so its common case — a token this instance already knows,
 * well-formed query — is answered straight from the snapshot without building a Fetch Request/Response (measured:
 * that adaptation cost more than the evaluation itself). Anything else — first use of a token, bad input, errors —
 * returns false and goes through the Hono route, which stays the reference behaviour and the documented contract.
 */
export function createEvaluateFastPath(authenticator: Authenticator, snapshot: SnapshotStore) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(PATH)) return false;
    const queryStart = url.indexOf('?');
    if ((queryStart === -1 ? url.length : queryStart) !== PATH.length || !snapshot.ready) return false;
    const principal = authenticator.cachedPrincipal(request.headers.authorization);
    if (!principal) return false;

    let userId: string | undefined;
    let environment: string | undefined;
    if (queryStart !== -1) {
      for (const [name, value] of new URLSearchParams(url.slice(queryStart + 1))) {
        if (name === 'userId') {
          if (userId !== undefined) continue;
          if (value.length > 255) return false;
          userId = value;
        } else if (name === 'environment') {
          if (environment !== undefined) continue;
          if (!environmentKeySchema.safeParse(value).success) return false;
          environment = value;
        }
      }
    }
    const environmentSnapshot = snapshot.current.environments.get(principal.environment ?? environment ?? 'production');
    if (!environmentSnapshot) return false;

    const incomingId = request.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const started = performance.now();
    const body = environmentSnapshot.evaluateAllJson(userId || undefined);
    evaluations.inc({ endpoint: 'config' }, environmentSnapshot.flags.size);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
    });
    response.end(body);
    httpDuration.observe({ method: 'GET', route: PATH, status: '200' }, (performance.now() - started) / 1000);
    return true;
  };
}
