import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A new connection gets this long to send its first request before it is closed. */
const FIRST_REQUEST_GRACE_MS = 1_000;
/**
 * A kept-alive connection gets this long after its last answer: a busy client's next request is
 * on its way by then (and is answered, with Connection: close). Ended at once, 20 webhooks in
 * flight on kept-alive connections were cut off at every stop.
 */
const NEXT_REQUEST_GRACE_MS = 250;
const LOOK_EVERY_MS = 50;

interface Connection {
  inFlight: number;
  answered: number;
  /** When it last had nothing in flight: since it opened, or since its last answer. */
  idleSince: number;
}

/**
 * Closes an HTTP server without resetting a request it accepted. Node's `server.close()` also
 * closes every connection with no request in flight, and that includes a connection accepted a
 * moment ago whose request has not been read yet: its client sees a reset (17-20 per stop measured
 * under 20 webhooks in flight). Here the listening socket closes, every response from then on says
 * `Connection: close`, and a connection with nothing in flight is ended (FIN, not reset) only after
 * a grace for the request that may be on its way; whatever is still open at the deadline is cut.
 */
export class GracefulClose {
  private readonly connections = new Map<Socket, Connection>();
  private closing = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { inFlight: 0, answered: 0, idleSince: Date.now() });
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
        connection.idleSince = Date.now();
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
        const grace = connection.answered > 0 ? NEXT_REQUEST_GRACE_MS : FIRST_REQUEST_GRACE_MS;
        if (connection.inFlight === 0 && now - connection.idleSince >= grace && !socket.writableEnded) socket.end();
      }
      await sleep(LOOK_EVERY_MS);
    }
    for (const socket of this.connections.keys()) socket.destroy();
  }
}
