import type { Db, DbOrTrx } from './db';
import type { Channel } from './contact';
import { DomainError } from './errors';
import { deliver, type Senders } from './outbound';
import { ADDRESS_KIND, lastProvenChannel, recipientFor } from './recipient';
import type { Knex } from 'knex';
import { recordEvent } from './timeline';
import { threadByReference, type ThreadRecord } from './threads';
import { render } from '../views/templates';
import { keepOpenPromise } from '../promises/lifecycle';
import { settlePromisesOnResolve } from '../promises/resolve';

/** Advice given to the customer; every later handoff carries it. */
export async function addAdvice(db: Db, args: { reference: string; agent: string; text: string; now: number }): Promise<{ at: number }> {
  const thread = await threadByReference(db, args.reference);
  await db('advice').insert({ thread_id: thread.id, agent: args.agent, text: args.text, at: args.now });
  await db('threads').where({ id: thread.id }).update({ updated_at: args.now, agent_action_at: args.now });
  return { at: args.now };
}

/** An agent's reply, on the channel the customer last used unless the agent chooses one (see replyTarget). */
export async function sendReply(
  db: Db,
  senders: Senders,
  args: { reference: string; agent: string; text: string; channel?: Channel; now: number },
): Promise<{ channel: Channel; to: string }> {
  const { target, delivery } = await db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    const target = await replyTarget(trx, thread, args.channel);
    const delivery = await deliver(
      trx,
      senders,
      {
        threadId: thread.id,
        ...target,
        subject: target.channel === 'email' ? render('reply/email-subject', { language: thread.language, format: 'txt' }, { reference: thread.reference }) : undefined,
        body: args.text,
        purpose: 'reply',
      },
      args.now,
    );
    await trx('threads')
      .where({ id: thread.id })
      .update({ updated_at: args.now, agent_action_at: args.now, first_response_at: thread.first_response_at ?? args.now, agent_id: thread.agent_id ?? args.agent });
    // An answer on any channel keeps the first response.
    await keepOpenPromise(trx, { threadId: thread.id, kind: 'first-response', at: args.now, by: args.agent });
    return { target, delivery };
  });
  // The agent waits for her reply to go out; a provider that fails leaves it to the send's retries.
  if (delivery.sendId !== undefined) await senders.sendNow?.([delivery.sendId]);
  return target;
}

/**
 * Closes a thread with the agent's resolution and asks the customer how it went, on the
 * channel they last used. A customer the hub cannot reach still gets the thread closed.
 */
export async function resolveThread(
  db: Db,
  senders: Senders,
  args: { reference: string; agent: string; resolution: string; now: number },
): Promise<{ satisfactionQuestion: { channel: Channel; to: string } | null }> {
  const { target, sendId } = await db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    if (thread.status === 'resolved') throw new DomainError('conflict', `${thread.reference} is already resolved`);
    await trx('threads').where({ id: thread.id }).update({ status: 'resolved', resolved_at: args.now, updated_at: args.now, agent_id: thread.agent_id ?? args.agent });
    await recordEvent(trx, { threadId: thread.id, kind: 'resolved', at: args.now, data: { agent: args.agent, resolution: args.resolution } });
    await settlePromisesOnResolve(trx, { threadId: thread.id, agent: args.agent, now: args.now });

    const target = await replyTarget(trx, thread).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'no_address') return null;
      throw error;
    });
    if (!target) return { target, sendId: undefined };
    const body = render('satisfaction/question', { language: thread.language, format: 'txt' }, { reference: thread.reference });
    const delivery = await deliver(trx, senders, { threadId: thread.id, ...target, subject: target.channel === 'email' ? body.split('\n')[0] : undefined, body, purpose: 'satisfaction' }, args.now);
    return { target, sendId: delivery.sendId };
  });
  if (sendId !== undefined) await senders.sendNow?.([sendId]);
  return { satisfactionQuestion: target };
}

/**
 * Where a message to the customer goes: the chosen channel, or the one she last used from a proven
 * address (a call is answered by SMS), to her newest proven address of that kind.
 */
async function replyTarget(trx: Knex.Transaction, thread: ThreadRecord, chosen?: Channel): Promise<{ channel: Channel; to: string }> {
  const requested: Channel = chosen ?? (await lastProvenChannel(trx, thread.id)) ?? (thread.channel as Channel);
  const channel: Channel = requested === 'voice' ? 'sms' : requested;
  const kind = ADDRESS_KIND[channel];
  const to = await recipientFor(trx, thread, kind);
  if (!to) throw new DomainError('no_address', `the customer of ${thread.reference} has no proven ${kind} address for a ${channel} message`);
  return { channel, to };
}

/** The customer's 1-5 answer to the satisfaction question, kept on the (resolved) thread for the team view. */
export async function rateSatisfaction(db: DbOrTrx, args: { threadId: number; score: number; channel: Channel; now: number }): Promise<void> {
  await recordEvent(db, { threadId: args.threadId, kind: 'satisfaction-rated', at: args.now, data: { score: args.score, channel: args.channel } });
}
