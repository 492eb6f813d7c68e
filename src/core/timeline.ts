import type { DbOrTrx } from './db';

/** Things that happen to a thread besides its contacts and advice. */
export type TimelineKind =
  | 'thread-opened'
  | 'thread-linked'
  | 'reference-mistyped'
  | 'reference-unknown'
  /** Written before addresses needed proof (old timelines only): an address joined the customer, or belonged to another. */
  | 'identity-learned'
  | 'identity-conflict'
  /** An address became the customer's, with its proof: data {kind, value, proof: channel | code | agent, agent?}. */
  | 'identity-proven'
  /** An address named without proof (a reference from a stranger, a number in a mail): data {kind, value, via}. */
  | 'identity-claimed'
  /** An agent turned a claim down: data {kind, value, agent}. */
  | 'identity-rejected'
  /**
   * A chat proved an address of another customer with a code and is hers now: data {session, kind,
   * value, reference (the thread the chat continues on), from? (the chat's own thread it left)}.
   */
  | 'chat-verified'
  | 'acknowledged'
  | 'acknowledgement-not-sent'
  /** A thread opened by automatic mail (out-of-office, mailing list): not acknowledged, data {reason}. */
  | 'acknowledgement-withheld'
  /** Attachments over the size limit, kept as name and size only: data {contactId, files: [{filename, size}]}. */
  | 'attachment-refused'
  | 'customer-merged'
  | 'customer-merge-undone'
  | 'resolved'
  /** The customer's answer to the satisfaction question: data {score (1-5), channel}. */
  | 'satisfaction-rated'
  | 'sms-opted-out'
  | 'sms-opted-in'
  | 'sms-suppressed'
  /** A provider accepted an outbound message but could not deliver it (a status callback, a bounce). */
  | 'delivery-failed'
  /**
   * A send to a provider (src/outbound/) failed for the first time and will be tried again: data
   * {sendId, channel, purpose, to, attempts, error, code, retryAt}. Once per send.
   */
  | 'send-delayed'
  /** Still not sent when its promise falls due; the team's leads were told: data as send-delayed, plus due. */
  | 'send-late'
  /** Refused by the provider (an invalid number) or given up: data as send-delayed, plus reason: refused | gave-up. */
  | 'send-failed'
  | 'callback-requested'
  | 'callback-booked'
  /** Slots offered to the customer to choose from: data {starts: epoch ms[], channel}. */
  | 'callback-offered'
  | 'callback-cancelled'
  /** The customer was told of the booking, or reminded of it: data {callbackId, channels}. */
  | 'callback-confirmed'
  | 'callback-reminded'
  /** The hub rang the agent for a due callback (data {callbackId, attempt, agent, callSid}), or asked them to start it (no phone system). */
  | 'callback-started'
  | 'callback-due'
  /** The customer did not answer; another attempt within the slot: data {callbackId, attempt, at}. */
  | 'callback-retry'
  /** Its agent did not answer: another free agent of the team takes it: data {callbackId, from, to, reason}. */
  | 'callback-reassigned'
  /** The callback ended: data {callbackId, outcome}. */
  | 'callback-completed'
  | 'callback-missed'
  | 'call-transferred'
  | 'call-ended'
  /** A thread handed to another team or agent: data {fromAgent, toTeam, toAgent, note}. */
  | 'transferred'
  /** An agent took the handed-over thread (the card's accept button): data {agent}. */
  | 'handoff-accepted'
  /** Written before promises were records (old timelines only): data {promise, due (epoch ms), channel}. */
  | 'sla-escalated'
  /** An agent's own promise to the customer: data {promiseId, agent, text, due}. */
  | 'promise-made'
  /** An agent kept their promise: data {promiseId, agent}. */
  | 'promise-kept'
  /** A promise's time came unkept: data {promiseId, kind, due, newDue (the replacement's time, or null)}. */
  | 'promise-broken'
  /** The customer was told a promise is late and its new time: data {promiseId (the new one), channels}. */
  | 'promise-late-told'
  /** An escalation step told someone about a promise: data {promiseId, kind, at (the step, "75%"), notify, to}. */
  | 'promise-escalated'
  /** The customer was told her callback is off: data {callbackId, reason, channels}. */
  | 'callback-cancel-told'
  /** An agent set the category or priority: data {category, priority, agent}. */
  | 'category-set'
  /** The thread's agent is absent: a present colleague took it over: data {from, to, until}. */
  | 'absence-reassigned'
  /** Work nobody picked up was raised: data {reason: 'handoff-unaccepted' | 'idle', to: (agent id | channel)[]}. */
  | 'stuck-raised';

export async function recordEvent(
  db: DbOrTrx,
  event: { threadId: number; kind: TimelineKind; at: number; data?: Record<string, unknown> },
): Promise<void> {
  await db('timeline_events').insert({
    thread_id: event.threadId,
    kind: event.kind,
    at: event.at,
    data: event.data ? JSON.stringify(event.data) : null,
  });
}

/** An event's data as stored (JSON text, or null for none). */
export function eventData(data: string | null): Record<string, unknown> {
  return data ? (JSON.parse(data) as Record<string, unknown>) : {};
}
