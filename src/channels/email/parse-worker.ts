import { parentPort, workerData } from 'node:worker_threads';
import { parseEmail, type OwnMail } from './parse-email';

/**
 * One parsing thread of the ParsePool: receives a message's source, answers what parseEmail makes
 * of it. Attachment contents travel back transferred, not copied.
 */
export interface ParseRequest {
  id: number;
  source: Uint8Array;
  receivedAt: number;
}

/** `ready`: sent once, when the thread has loaded the parser and takes requests. */
export type ParseAnswer = { id: number; email: Awaited<ReturnType<typeof parseEmail>> } | { id: number; error: string } | { ready: true };

const own: OwnMail = { addresses: new Set(workerData.own.addresses), domains: new Set(workerData.own.domains) };
const port = parentPort;
if (!port) throw new Error('parse-worker runs as a worker thread of ParsePool');

port.on('message', (request: ParseRequest) => {
  parseEmail(Buffer.from(request.source.buffer, request.source.byteOffset, request.source.byteLength), own, request.receivedAt).then(
    (email) => {
      const contents = email.kind === 'contact' ? (email.contact.attachments ?? []).flatMap((attachment) => (attachment.content ? [attachment.content] : [])) : [];
      port.postMessage({ id: request.id, email } satisfies ParseAnswer, transferable(contents));
    },
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies ParseAnswer),
  );
});
port.postMessage({ ready: true } satisfies ParseAnswer);

/** The memory of each content, when it is its own (a Buffer may be a slice of a shared pool, which must not be moved). */
function transferable(contents: Buffer[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const content of contents) {
    if (content.buffer instanceof ArrayBuffer && content.byteOffset === 0 && content.byteLength === content.buffer.byteLength) buffers.add(content.buffer);
  }
  return [...buffers];
}
