import { createConnection, type Socket } from 'node:net';

/**
 * Joins a client connection to a new one to `target` (PostgreSQL, for tests that cut or delay the database), adding
 * both sockets to `sockets` while they are open; an error on either closes both.
 */
export function pipeToTarget(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>): void {
  const upstream = createConnection(target);
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
}
