import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A new connection gets this long to send its first request before it is closed. */
const FIRST_REQUEST_GRACE_MS = 1_000;
const LOOK_EVERY_MS = 50;

interface Connection {
  inFlight: number;
  /** Requests answered on it: a kept-alive connection between requests is closed at once, a new one gets the grace. */
  answered: number;
  openedAt: number;
}

/**
 * Closes an HTTP server without resetting a request it accepted. Node's `server.close()` also
 * closes every connection with no request in flight, and that includes a connection accepted a
 * moment ago whose request has not been read yet: its client sees a reset (17-20 per stop measured
 * under 20 webhooks in flight). Here the listening socket closes, every response from then on says
 * `Connection: close`, a kept-alive connection is ended (FIN, not reset) between requests, and a
 * new one only after a second without its first request; whatever is still open at the deadline
 * is cut.
 */
export class GracefulClose {
  private readonly connections = new Map<Socket, Connection>();
  private closing = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { inFlight: 0, answered: 0, openedAt: Date.now() });
      socket.once('close', () => this.connections.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.connections.get(req.socket);
      if (!connection) return;
      connection.inFlight += 1;
      if (this.closing) res.setHeader('connection', 'close');
      res.once('close', () => {
        connection.inFlight -= 1;
        connection.answered += 1;
      });
    });
  }

  /** Resolves once every connection is gone, or at `deadline` (epoch ms, real time) after cutting the rest. */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    // net's close, not http's: stop listening, leave the accepted connections to finish.
    NetServer.prototype.close.call(this.server);
    while (this.connections.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const [socket, connection] of this.connections) {
        const idle = connection.inFlight === 0 && (connection.answered > 0 || now - connection.openedAt >= FIRST_REQUEST_GRACE_MS);
        if (idle && !socket.writableEnded) socket.end();
      }
      await sleep(LOOK_EVERY_MS);
    }
    for (const socket of this.connections.keys()) socket.destroy();
  }
}
