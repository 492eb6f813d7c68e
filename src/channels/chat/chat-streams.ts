import type { Logger } from 'pino';
import { chatEventsAfter, latestChatSeqs, type ChatEvent } from '../../core/chat';
import type { Db } from '../../core/db';

/** How often open streams look in the store for news: a reply shows within a quarter second. */
const POLL_MS = 250;
/**
 * Open streams one process holds for one chat (a customer with a few tabs) and for one client
 * address (a household, an office behind one address): each holds a connection and a place in
 * every poll, so a script opening thousands must not be able to.
 */
export const STREAM_LIMITS = { perSession: 3, perClient: 20 } as const;

interface OpenStream {
  sessionId: string;
  lastSeq: number;
  send(event: ChatEvent): void;
}

/**
 * The open server-sent event streams of this process. One poll every 250 ms asks the store for
 * the newest event number of every session with an open stream (one query for all of them), and
 * reads events only for the sessions that have news. An event written by any hub instance
 * reaches the stream this way; nothing is delivered from memory alone.
 */
export class ChatStreams {
  private readonly streams = new Set<OpenStream>();
  private readonly admitted = { session: new Map<string, number>(), client: new Map<string, number>() };
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly deps: { db: Db; logger: Logger }) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * Takes a place for a stream of this session from this client, before anything is written, or
   * says which limit it would pass. The place is held until `release` (when the response closes).
   */
  admit(sessionId: string, client: string): { outcome: 'admitted'; release: () => void } | { outcome: 'refused'; limit: 'session' | 'client' } {
    if ((this.admitted.session.get(sessionId) ?? 0) >= STREAM_LIMITS.perSession) return { outcome: 'refused', limit: 'session' };
    if ((this.admitted.client.get(client) ?? 0) >= STREAM_LIMITS.perClient) return { outcome: 'refused', limit: 'client' };
    const change = (counts: Map<string, number>, key: string, by: number) => {
      const count = (counts.get(key) ?? 0) + by;
      if (count === 0) counts.delete(key);
      else counts.set(key, count);
    };
    change(this.admitted.session, sessionId, 1);
    change(this.admitted.client, client, 1);
    let released = false;
    return {
      outcome: 'admitted',
      release: () => {
        if (released) return;
        released = true;
        change(this.admitted.session, sessionId, -1);
        change(this.admitted.client, client, -1);
      },
    };
  }

  /** Registers a stream that has already been sent everything up to `lastSeq`; returns its closer. */
  open(stream: OpenStream): () => void {
    this.streams.add(stream);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    return () => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.streams.size === 0) return;
    this.polling = true;
    try {
      const open = [...this.streams];
      const latest = await latestChatSeqs(this.deps.db, [...new Set(open.map((stream) => stream.sessionId))]);
      const behind = open.filter((stream) => (latest.get(stream.sessionId) ?? 0) > stream.lastSeq);
      for (const sessionId of new Set(behind.map((stream) => stream.sessionId))) {
        const readers = behind.filter((stream) => stream.sessionId === sessionId);
        const events = await chatEventsAfter(this.deps.db, sessionId, Math.min(...readers.map((stream) => stream.lastSeq)));
        for (const stream of readers) {
          for (const event of events) {
            if (event.seq <= stream.lastSeq) continue;
            stream.send(event);
            stream.lastSeq = event.seq;
          }
        }
      }
    } catch (error) {
      // The store may be briefly unreachable; the next poll tries again and nothing is skipped.
      this.deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'chat stream poll failed');
    } finally {
      this.polling = false;
    }
  }
}
