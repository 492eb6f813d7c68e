import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InboundEmail, OwnMail } from './parse-email';
import type { ParseAnswer, ParseRequest } from './parse-worker';

/** No parser could be started (its file is missing, the thread cannot load it): no mail's fault. */
export class ParserUnavailable extends Error {}

/**
 * Parses mail on worker threads. Decoding a message (mailparser walks every byte in JavaScript: 45
 * ms for a mail with a 2 MB photo, 0.5 ms for a tiny one) then runs on another core while the
 * main thread stores the batch before it, and a message that crashes the parser, exhausts its
 * memory or never finishes takes down its worker, not the hub: its parse is rejected (the mail is
 * set aside as unreadable) and a new worker starts.
 */
export class ParsePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;

  constructor(
    private readonly options: {
      own: OwnMail;
      /** Threads (default: one fewer than the cores, at least one). */
      size?: number;
      /** A parse that takes longer ends its worker (default 30 s: a 20 MB mail takes half a second). */
      timeoutMs?: number;
    },
  ) {
    // Started now, so that the first mail does not wait for a thread to load the parser.
    for (let started = 0; started < this.size; started++) this.leastBusy();
  }

  parse(source: Buffer, receivedAt: number): Promise<InboundEmail> {
    const worker = this.leastBusy();
    const id = this.nextId++;
    // A copy of its own: a fetched source may be a slice of a larger buffer, which must stay here.
    const copy = new Uint8Array(source);
    return new Promise<InboundEmail>((resolve, reject) => {
      // Counted from when the thread is ready: starting one (after a failure) is not the mail's doing.
      let timer: NodeJS.Timeout | undefined;
      void worker.ready.then(() => {
        if (worker.pending.has(id)) timer = setTimeout(() => worker.fail(new Error(`parsing took longer than ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      });
      const settled = () => clearTimeout(timer);
      worker.track(id, {
        resolve: (email) => {
          settled();
          resolve(email);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      worker.thread.postMessage({ id, source: copy, receivedAt } satisfies ParseRequest, [copy.buffer]);
    });
  }

  /** Ends the threads (a later parse starts new ones: the mailbox can be stopped and started again). */
  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((worker) => worker.thread.terminate()));
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  private get size(): number {
    return this.options.size ?? Math.max(1, availableParallelism() - 1);
  }

  private leastBusy(): PoolWorker {
    if (this.workers.length < this.size) {
      const worker = new PoolWorker(this.options.own, () => {
        const index = this.workers.indexOf(worker);
        if (index !== -1) this.workers.splice(index, 1);
      });
      this.workers.push(worker);
      return worker;
    }
    return this.workers.reduce((least, worker) => (worker.pending.size < least.pending.size ? worker : least));
  }
}

interface Pending {
  resolve: (email: InboundEmail) => void;
  reject: (error: Error) => void;
}

class PoolWorker {
  readonly thread: Worker;
  readonly pending = new Map<number, Pending>();
  /** Resolves when the thread has loaded the parser (a moment; longer from the TypeScript sources). */
  readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;
  private ended = false;
  private started = false;

  constructor(
    own: OwnMail,
    /** Takes it out of the pool. */
    private readonly gone: () => void,
  ) {
    this.thread = startWorker({ own: { addresses: [...own.addresses], domains: [...own.domains] } });
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.thread.on('message', (answer: ParseAnswer) => {
      if ('ready' in answer) {
        this.started = true;
        return this.markReady();
      }
      const pending = this.pending.get(answer.id);
      this.untrack(answer.id);
      if ('error' in answer) pending?.reject(new Error(answer.error));
      else pending?.resolve(revived(answer.email));
    });
    this.thread.on('error', (error) => this.fail(error));
    this.thread.on('exit', (code) => this.fail(new Error(`the parser's worker thread ended (exit code ${code})`)));
    // An idle parser does not keep the process alive; one at work does, until it answers.
    this.thread.unref();
  }

  track(id: number, pending: Pending): void {
    if (this.pending.size === 0) this.thread.ref();
    this.pending.set(id, pending);
  }

  private untrack(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.thread.unref();
  }

  /** Ends this worker and rejects what it was parsing; the pool starts a new one for the next parse. */
  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.gone();
    const reason = this.started ? error : new ParserUnavailable(`the parser's worker thread did not start: ${error.message}`);
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
    void this.thread.terminate();
  }
}

/**
 * The worker's entry: the compiled .js next to this file, or, when the hub runs from its
 * TypeScript sources (npm run dev, the tests), the .ts through tsx, which a worker thread does not
 * inherit from its parent.
 */
function startWorker(workerData: unknown): Worker {
  const file = join(__dirname, `parse-worker${extname(__filename)}`);
  if (extname(__filename) !== '.ts') return new Worker(file, { workerData });
  return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`, { eval: true, workerData });
}

/** Attachment contents come back from the worker as Uint8Arrays: Buffers again, over the same memory. */
function revived(email: InboundEmail): InboundEmail {
  if (email.kind !== 'contact') return email;
  for (const attachment of email.contact.attachments ?? []) {
    const content = attachment.content as Uint8Array | undefined;
    if (content) attachment.content = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  }
  return email;
}
