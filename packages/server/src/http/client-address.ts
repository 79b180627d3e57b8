import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * The peer address of the connection (@hono/node-server passes the Node request as `env.incoming`); 'unknown' when
 * the app runs without a socket, as in `app.request()`. X-Forwarded-For is not read: a client could write anything in it.
 */
export function clientAddress(c: Context): string {
  const bindings = c.env as { incoming?: IncomingMessage } | undefined;
  return bindings?.incoming?.socket.remoteAddress ?? 'unknown';
}
