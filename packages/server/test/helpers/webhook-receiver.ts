import { createServer, type Server, type ServerResponse } from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered; `hang` until a hanging request is released (it then holds the released status). */
  status: number | 'hang';
  at: number;
  /** The sender gave up on a hanging request (aborted or timed out) before it was answered. */
  abandoned: boolean;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests still hanging: received, not answered, and the sender still waiting. */
  hanging(): ReceivedRequest[];
  /** Answers every hanging request with `status`. */
  release(status: number): void;
  close(): Promise<void>;
}

/** What to answer a request: a status code, or `hang` (never answer until released or the sender gives up). */
export type Answer = (request: { path: string; index: number; headers: Record<string, string> }) => number | 'hang';

/** A webhook receiver on 127.0.0.1 (webhooks reach it only with 127.0.0.1 in WEBHOOK_ALLOWED_TARGETS). */
export async function startReceiver(answer: Answer): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const held = new Map<ReceivedRequest, ServerResponse>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      const path = request.url ?? '';
      const status = answer({ path, index: requests.length, headers });
      const received: ReceivedRequest = {
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
        at: Date.now(),
        abandoned: false,
      };
      requests.push(received);
      if (status === 'hang') {
        held.set(received, response);
        response.on('close', () => {
          if (held.delete(received)) received.abandoned = true;
        });
        return;
      }
      response
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 200 ? 'ok' : `internal detail: db at 10.0.0.7:5432 says no (${status})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no receiver address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    hanging: () => [...held.keys()],
    release(status) {
      for (const [received, response] of held) {
        held.delete(received);
        received.status = status;
        response.writeHead(status).end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls `probe` every 50 ms until it returns a value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
