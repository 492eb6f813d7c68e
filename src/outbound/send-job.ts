import type { Knex } from 'knex';
import { z } from 'zod';
import type { SentPart } from '../core/outbound';
import { SendFailure } from '../core/send-failure';
import { isFinal, loadSend, markEnded, markSent, markStarted, scheduleRetry, type SendKind, type SendRecord } from '../core/send-ledger';
import { recordEvent, type TimelineKind } from '../core/timeline';
import type { JobLogger, JobSteps, SteppedJob } from '../jobs/worker';
import type { ClaimedJob } from '../jobs/queue';
import type { OutboundMetrics } from '../metrics';
import { isWhole, type SendEnd, type SendKindHandler } from './send-kind';

const payload = z.object({ sendId: z.number().int() });

/** The first wait after a failed attempt; it doubles with every attempt up to the kind's longest. */
const FIRST_BACKOFF_MS = 1_000;

/** Something about a send the team's leads should know: it will be late for its promise, or it failed for good. */
export interface SendWarning {
  send: SendRecord;
  what: 'late' | 'failed';
  error: string;
  /** The next attempt, when there is one. */
  retryAt?: number;
}

export interface SendJobDeps {
  kinds: ReadonlyMap<SendKind, SendKindHandler>;
  clock: () => number;
  logger: JobLogger;
  metrics: OutboundMetrics;
  /** Best effort, after the warning is on the timeline: a Slack that is down too must not undo it. */
  warnLeads(warning: SendWarning): Promise<void>;
}

/**
 * One attempt of one send (outbound_sends), as a job; each retry is a job of its own.
 * 1. A send that is no longer wanted (a cancelled callback) ends withheld.
 * 2. A send started before without a result (a crash between the provider's answer and our
 *    commit, a timeout) is looked up at the provider first, and recorded when it went out.
 * 3. Otherwise its start is committed, holding the job's claim, and the provider is called
 *    outside any transaction; the result commits with the job's completion.
 * 4. A transient failure schedules the next attempt (doubling waits, at least the provider's
 *    Retry-After) until the send's give-up time; the first delay, and a delay past the promise's
 *    due time (the leads are warned), go on the thread's timeline. A permanent failure, or giving
 *    up, fails the send there and then, visibly.
 */
export function outboundSendJob(deps: SendJobDeps): SteppedJob {
  return {
    async steps(job, run) {
      const { sendId } = payload.parse(job.payload);
      const send = await loadSend(run.db, sendId);
      if (!send || isFinal(send)) return;
      const kind = deps.kinds.get(send.kind);
      if (!kind) throw new Error(`no handler for sends of kind "${send.kind}"`);
      await new Attempt(deps, kind, job, run, send).make();
    },
  };
}

class Attempt {
  constructor(
    private readonly deps: SendJobDeps,
    private readonly kind: SendKindHandler,
    private readonly job: ClaimedJob,
    private readonly steps: JobSteps,
    private send: SendRecord,
  ) {}

  async make(): Promise<void> {
    const withdrawn = await this.kind.withdrawn(this.steps.db, this.send);
    if (withdrawn) return this.withdraw(withdrawn);

    let progress = this.send.progress;
    if (this.send.state === 'sending') {
      let found: SentPart[] | null;
      try {
        // Since the send was recorded: any attempt of it may be the one that went out.
        found = await this.kind.findSent(this.steps.db, this.send, this.send.createdAt);
      } catch (error) {
        return this.failed(lookupFailure(error));
      }
      if (found !== null) {
        progress = mergeParts(progress, found);
        if (isWhole(progress)) return this.sent(progress, 'reconciled');
      }
    }

    const now = this.deps.clock();
    this.send = await this.steps.holding((trx) => markStarted(trx, this.send, now));
    let parts: SentPart[];
    try {
      parts = await this.kind.send(this.send, progress);
    } catch (error) {
      return this.failed(asSendFailure(error), progress);
    }
    return this.sent(parts, 'sent');
  }

  private async sent(parts: readonly SentPart[], outcome: 'sent' | 'reconciled'): Promise<void> {
    const now = this.deps.clock();
    await this.steps.complete(async (trx) => {
      await markSent(trx, this.send, { providerId: (parts[0] as SentPart).providerId, parts }, now);
      await this.kind.onSent(trx, this.send, parts, now);
    });
    this.deps.metrics.outboundSends.inc({ channel: this.send.channel, outcome });
    if (outcome === 'reconciled') this.deps.logger.warn({ sendId: this.send.id, channel: this.send.channel }, 'an earlier attempt had gone out: recorded, not sent again');
  }

  private async withdraw(reason: string): Promise<void> {
    const now = this.deps.clock();
    await this.steps.complete(async (trx) => {
      await this.kind.onWithdrawn(trx, this.send, reason, now);
      await markEnded(trx, this.send, { state: 'withheld', error: reason }, now);
    });
    this.deps.metrics.outboundSends.inc({ channel: this.send.channel, outcome: 'withheld' });
  }

  private async failed(failure: SendFailure, before: readonly SentPart[] = this.send.progress): Promise<void> {
    const progress = mergeParts(before, failure.sent);
    this.deps.metrics.outboundAttemptFailures.inc({ channel: this.send.channel, failure: failure.permanent ? 'permanent' : 'transient' });
    const now = this.deps.clock();
    if (failure.permanent) return this.end({ reason: 'refused', error: failure.message, code: failure.code }, progress);
    if (now >= this.send.giveUpAt) return this.end({ reason: 'gave-up', error: failure.message, code: failure.code }, progress);

    const wait = Math.max(Math.min(this.kind.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.max(0, this.send.attempts - 1)), failure.retryAfterMs ?? 0);
    const send = this.send;
    const late = send.dueAt !== null && send.warnedAt === null && Math.min(now + wait, send.giveUpAt) > send.dueAt;
    let retryAt = 0;
    await this.steps.complete(async (trx) => {
      retryAt = await this.kind.nextAttemptAt(trx, Math.min(now + wait, send.giveUpAt));
      await scheduleRetry(
        trx,
        send,
        { unknown: failure.maybeSent, error: failure.message, code: failure.code, progress, retryAt, afterJobId: this.job.id, delayedAt: send.delayedAt ?? now, warnedAt: late ? now : send.warnedAt },
        now,
      );
      if (send.delayedAt === null) await this.note(trx, 'send-delayed', { error: failure.message, code: failure.code ?? null, retryAt }, now);
      if (late) await this.note(trx, 'send-late', { error: failure.message, due: send.dueAt, retryAt }, now);
    });
    this.deps.logger.warn({ sendId: send.id, channel: send.channel, purpose: send.purpose, attempt: send.attempts, error: failure.message, retryAt }, 'send failed; will try again');
    if (late) await this.deps.warnLeads({ send, what: 'late', error: failure.message, retryAt });
  }

  /** Refused, or tried for as long as its promise allowed: the send fails where people look. */
  private async end(end: SendEnd, progress: readonly SentPart[]): Promise<void> {
    const now = this.deps.clock();
    const send = this.send;
    await this.steps.complete(async (trx) => {
      await markEnded(trx, send, { state: 'failed', error: end.error, code: end.code, progress }, now);
      await this.note(trx, 'send-failed', { reason: end.reason, error: end.error, code: end.code ?? null }, now);
      await this.kind.onEnded(trx, send, end, now);
    });
    this.deps.metrics.outboundSends.inc({ channel: send.channel, outcome: end.reason === 'refused' ? 'refused' : 'gave-up' });
    this.deps.logger.error({ sendId: send.id, channel: send.channel, purpose: send.purpose, attempts: send.attempts, reason: end.reason, error: end.error }, 'send failed for good');
    await this.kind.afterEnded?.(send);
    if (end.reason === 'gave-up' || send.dueAt !== null) await this.deps.warnLeads({ send, what: 'failed', error: end.error });
  }

  private async note(trx: Knex.Transaction, kind: Extract<TimelineKind, 'send-delayed' | 'send-late' | 'send-failed'>, data: Record<string, unknown>, now: number): Promise<void> {
    const { send } = this;
    if (send.threadId === null) return;
    await recordEvent(trx, { threadId: send.threadId, kind, at: now, data: { sendId: send.id, channel: send.channel, purpose: send.purpose, to: send.recipient, attempts: send.attempts, ...data } });
  }
}

/** What a provider call threw, in the hub's terms; anything unforeseen counts as a transient failure that may have gone out. */
function asSendFailure(error: unknown): SendFailure {
  if (error instanceof SendFailure) return error;
  return new SendFailure(error instanceof Error ? error.message : String(error), { permanent: false, maybeSent: true });
}

/**
 * A look-up that failed leaves the earlier attempt as unknown as it was, whatever the provider
 * said (a 429 to the look-up says nothing about the send), and is tried again: a provider that
 * will not answer it (an API key without list rights) makes the send fail at its give-up time.
 */
function lookupFailure(error: unknown): SendFailure {
  const failure = asSendFailure(error);
  return new SendFailure(`looking up an earlier attempt: ${failure.message}`, { permanent: false, maybeSent: true, retryAfterMs: failure.retryAfterMs, code: failure.code });
}

function mergeParts(known: readonly SentPart[], more: readonly SentPart[]): SentPart[] {
  const byPart = new Map(known.map((part) => [part.part, part]));
  for (const part of more) if (!byPart.has(part.part)) byPart.set(part.part, part);
  return [...byPart.values()].sort((a, b) => a.part - b.part);
}
