import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpStandIn {
  url: string;
  received: { to: string[]; mail: ParsedMail }[];
  /** The next `count` mails are kept, and then the connection drops before the server's answer: the sender cannot know. */
  loseAnswers(count: number): void;
  close(): Promise<void>;
}

/** A real SMTP server on a free port (or the one given: a server back after an outage) that keeps what it receives, parsed, and refuses one address. */
export async function startSmtp(options: { port?: number } = {}): Promise<SmtpStandIn> {
  const received: { to: string[]; mail: ParsedMail }[] = [];
  const sockets = new Map<number, Socket>();
  let answersToLose = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address === 'bounce@example.nl') return callback(Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), mail });
        if (answersToLose > 0) {
          answersToLose -= 1;
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        callback();
      }, callback);
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort as number;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    loseAnswers: (count) => {
      answersToLose = count;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
