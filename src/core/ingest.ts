import type { Knex } from 'knex';
import { enqueueJob, type JobSpec } from '../jobs/queue';
import { makePromises, type NewPromise } from '../promises/lifecycle';
import { watchIdleThread } from '../escalation/stuck';
import { categoryOf } from './category';
import { isPostgres, isUniqueViolation, type Db, type DbOrTrx } from './db';
import { MAX_CLAIMS, type ClaimedIdentity, type InboundContact, type IngestResult, type Language, type MatchedBy } from './contact';
import { fillCustomerName } from './customer-name';
import { normalizeIdentity, type Identity } from './identity';
import { addProvenAddress, ownerOf, recordClaim } from './proof';
import { findReference, newReference } from './reference';
import type { SlaClock } from './sla';
import { recordEvent } from './timeline';

export const ACKNOWLEDGE_JOB = 'acknowledge';
/** Tells the customer which attachments were too large to keep. */
export const ATTACHMENT_REFUSED_JOB = 'attachment-refused';

export interface IngestDeps {
  db: Db;
  sla: SlaClock;
}

interface ThreadRow {
  id: number;
  reference: string;
  customer_id: number;
  status: string;
}

/** Where a contact goes, decided before anything is written. */
type Placement =
  | { kind: 'join'; thread: ThreadRow; matchedBy: MatchedBy }
  | { kind: 'open'; linkTo?: { thread: ThreadRow; reason: string } };

const MAX_ATTEMPTS = 3;
/** What a customer who never said otherwise is written in. */
const DEFAULT_LANGUAGE: Language = 'nl';

/** Thrown inside the transaction when the contact turns out to be stored already: undoes what the attempt wrote. */
class AlreadyStored extends Error {}

/**
 * Stores the contact on exactly one thread, in a transaction of its own, and returns it. Matching,
 * in layers: the reference the customer gave; the message it replies to; the customer's only open
 * thread; else a new thread. Channels reach this (or ingestTogether) through contactIngest in
 * group-commit.ts, which picks per store.
 */
export function ingestContact(deps: IngestDeps, contact: InboundContact): Promise<IngestResult> {
  return withAttempts({
    attempt: () => deps.db.transaction((trx) => ingestInTransaction(trx, deps, contact)),
    stored: () => storedContact(deps.db, contact),
  });
}

/**
 * Stores contacts in one transaction, in the order given, each in a savepoint of its own: a
 * contact that fails is rolled back alone and reported in its place, the others are kept. One
 * commit for all of them (see group-commit.ts for why that matters). A failed commit rejects.
 */
export function ingestTogether(deps: IngestDeps, contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]> {
  return deps.db.transaction((trx) =>
    storeInOrder(contacts, (contact) =>
      withAttempts({
        attempt: () => inSavepoint(trx, () => ingestInTransaction(trx, deps, contact)),
        stored: () => storedContact(trx, contact),
      }),
    ),
  );
}

/** Stores contacts one after another, each result in its place: one that fails does not stop the rest. */
export async function storeInOrder(contacts: InboundContact[], store: (contact: InboundContact) => Promise<IngestResult>): Promise<PromiseSettledResult<IngestResult>[]> {
  const results: PromiseSettledResult<IngestResult>[] = [];
  for (const contact of contacts) {
    try {
      results.push({ status: 'fulfilled', value: await store(contact) });
    } catch (reason) {
      results.push({ status: 'rejected', reason });
    }
  }
  return results;
}

/**
 * One contact's attempts. Concurrent ingests that collide on a unique key (a new identity, a
 * reference) are tried again: the next attempt sees what the other one stored.
 *
 * A provider's retry (the same CallSid, MessageSid or Message-ID) is rare, so it is not looked for
 * before every contact: the contacts' unique (channel, provider id) turns the insert into a no-op,
 * the attempt is rolled back, and the answer is the contact stored the first time.
 */
async function withAttempts(run: { attempt: () => Promise<IngestResult>; stored: () => Promise<IngestResult> }): Promise<IngestResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run.attempt();
    } catch (error) {
      if (error instanceof AlreadyStored) return run.stored();
      if (attempt >= MAX_ATTEMPTS || !isUniqueViolation(error)) throw error;
    }
  }
}

/** Raw statements, not knex's nested transaction: that builds a whole transaction object per savepoint. */
async function inSavepoint<T>(trx: Knex.Transaction, work: () => Promise<T>): Promise<T> {
  await trx.raw('savepoint ingest');
  try {
    const result = await work();
    await trx.raw('release savepoint ingest');
    return result;
  } catch (error) {
    await trx.raw('rollback to savepoint ingest');
    await trx.raw('release savepoint ingest');
    throw error;
  }
}

async function storedContact(db: DbOrTrx, contact: InboundContact): Promise<IngestResult> {
  const stored = await db('contacts')
    .join('threads', 'threads.id', 'contacts.thread_id')
    .where({ 'contacts.channel': contact.channel, 'contacts.provider_id': contact.providerId })
    .first('contacts.id as contact_id', 'contacts.verified', 'threads.id as thread_id', 'threads.reference', 'threads.customer_id');
  if (!stored) throw new Error(`contact ${contact.channel} ${contact.providerId} was reported stored but is not there`);
  return { threadId: stored.thread_id, reference: stored.reference, customerId: stored.customer_id, contactId: stored.contact_id, outcome: 'duplicate', verified: Boolean(stored.verified) };
}

async function ingestInTransaction(trx: Knex.Transaction, deps: IngestDeps, contact: InboundContact): Promise<IngestResult> {
  const from = contact.from ? normalizeIdentity(contact.from) : undefined;
  // Only an address the channel vouches for says who the sender is; a typed or quoted one never does.
  const provenFrom = from && !contact.unprovenBecause ? from : undefined;
  const senderCustomerId = provenFrom ? await ownerOf(trx, provenFrom) : undefined;
  if (senderCustomerId !== undefined && isPostgres(trx)) {
    // Serialises ingests of one customer on PostgreSQL, so two simultaneous messages cannot both
    // see "no open thread" and open two. SQLite runs one transaction at a time anyway, and
    // ignores FOR UPDATE: there the statement would be a wasted round trip on every contact.
    await trx('customers').where({ id: senderCustomerId }).forUpdate().first('id');
  }

  const claims = claimsIn(contact);
  const notes: { kind: 'reference-mistyped' | 'reference-unknown'; data: Record<string, unknown> }[] = [];
  const placement = await place(trx, { contact, senderCustomerId, claims, notes });

  // Verified: the hub has proof the sender is the thread's customer. A stranger who knows her
  // reference reaches her thread (the agent sees it), but never becomes her.
  const verified = placement.kind === 'join' ? placement.thread.customer_id === senderCustomerId : from === undefined || provenFrom !== undefined;
  const knownCustomerId = placement.kind === 'join' ? placement.thread.customer_id : senderCustomerId;
  const customerId = knownCustomerId ?? (await createCustomer(trx, contact));
  // A customer made just now has this contact's name and language already.
  const newCustomer = knownCustomerId === undefined;
  if (!newCustomer && verified) await fillCustomerName(trx, { customerId, name: contact.name, address: from?.value });

  const thread = placement.kind === 'join' ? placement.thread : await openThread(trx, deps.sla, { contact, customerId, newCustomer, placement });
  const contactId = await insertContact(trx, { threadId: thread.id, contact, from, verified });
  if (contactId === undefined) throw new AlreadyStored();
  await storeAttachments(trx, { threadId: thread.id, contactId, contact });

  for (const note of notes) await recordEvent(trx, { threadId: thread.id, kind: note.kind, at: contact.at, data: note.data });
  // Verified from an address nobody owns: a customer made by this contact, whose own address it is.
  if (provenFrom && verified && senderCustomerId === undefined) {
    await addProvenAddress(trx, { customerId, identity: provenFrom, proof: 'channel', threadId: thread.id, now: contact.at });
  }
  const unprovenFrom: ClaimedIdentity[] = from && !verified ? [{ ...from, via: contact.unprovenBecause ?? 'reference' }] : [];
  for (const claim of [...unprovenFrom, ...claims]) await recordClaim(trx, { customerId, threadId: thread.id, claim, at: contact.at });
  if (placement.kind === 'join') await trx('threads').where({ id: thread.id }).update({ updated_at: contact.at });

  return {
    threadId: thread.id,
    reference: thread.reference,
    customerId,
    contactId,
    outcome: placement.kind === 'join' ? 'joined' : 'opened',
    matchedBy: placement.kind === 'join' ? placement.matchedBy : undefined,
    linkedThreadId: placement.kind === 'open' ? placement.linkTo?.thread.id : undefined,
    verified,
  };
}

function claimsIn(contact: InboundContact): ClaimedIdentity[] {
  const claims: ClaimedIdentity[] = [];
  for (const claimed of contact.claimedIdentities ?? []) {
    const identity = normalizeIdentity(claimed);
    if (identity && !claims.some((claim) => claim.kind === identity.kind && claim.value === identity.value)) claims.push({ ...identity, via: claimed.via });
    if (claims.length === MAX_CLAIMS) break;
  }
  return claims;
}

async function place(
  trx: Knex.Transaction,
  args: { contact: InboundContact; senderCustomerId: number | undefined; claims: ClaimedIdentity[]; notes: { kind: 'reference-mistyped' | 'reference-unknown'; data: Record<string, unknown> }[] },
): Promise<Placement> {
  const { contact, senderCustomerId, notes } = args;
  const mention = findReference(contact.keyedReference ?? '') ?? findReference(contact.subject ?? '') ?? findReference(contact.body);
  if (mention?.kind === 'mistyped') {
    // A typo could be someone else's reference: never guess, fall through and keep a note for the agent.
    notes.push({ kind: 'reference-mistyped', data: { text: mention.text } });
  } else if (mention?.kind === 'valid') {
    const thread = await threadBy(trx, { reference: mention.reference });
    // From anyone: the contact reaches the thread (marked unverified when the sender is not its customer).
    if (thread?.status === 'open') return { kind: 'join', thread, matchedBy: 'reference' };
    // The old thread stays closed; the sender gets a thread of their own (theirs, not its customer's, without proof), linked.
    if (thread) return { kind: 'open', linkTo: { thread, reason: 'reference-of-closed-thread' } };
    notes.push({ kind: 'reference-unknown', data: { reference: mention.reference } });
  }

  if (contact.conversationThreadId !== undefined && senderCustomerId !== undefined) {
    const thread = await threadBy(trx, { id: contact.conversationThreadId });
    if (thread?.status === 'open' && thread.customer_id === senderCustomerId) return { kind: 'join', thread, matchedBy: 'conversation' };
  }

  // Only the thread's own customer joins by reply headers, and her own open thread anywhere in the
  // chain wins: a reply-all that answers a colleague's message on another thread is still hers.
  const repliedTo = await threadsRepliedTo(trx, contact.inReplyTo ?? []);
  const own = repliedTo.find((thread) => thread.status === 'open' && thread.customer_id === senderCustomerId);
  if (own) return { kind: 'join', thread: own, matchedBy: 'reply-headers' };

  // The sender's one open thread, also when the mail answers someone else's thread or a closed one.
  const open = senderCustomerId === undefined ? undefined : await onlyOpenThreadOf(trx, senderCustomerId);
  if (open) return { kind: 'join', thread: open, matchedBy: 'identity' };

  // Otherwise someone answering another's thread (a colleague in Cc, a forwarded mail answered by a
  // stranger), or a closed thread, gets a thread of their own, linked to the one answered.
  const nearest = repliedTo[0];
  if (nearest) return { kind: 'open', linkTo: { thread: nearest, reason: nearest.status === 'open' ? 'reply-from-other-sender' : 'reply-to-closed-thread' } };
  const claimedThread = await openThreadOfClaimedOwner(trx, args.claims, senderCustomerId);
  return claimedThread ? { kind: 'open', linkTo: { thread: claimedThread, reason: 'claimed-address' } } : { kind: 'open' };
}

/**
 * A chat that gave someone's address without proving it gets a thread of its own; the agent sees
 * it linked to that customer's newest open thread.
 */
async function openThreadOfClaimedOwner(trx: Knex.Transaction, claims: ClaimedIdentity[], senderCustomerId: number | undefined): Promise<ThreadRow | undefined> {
  const typed = claims.filter((claim) => claim.via === 'chat-form');
  if (typed.length === 0) return undefined;
  return trx('threads')
    .whereIn('customer_id', trx('identities').where((query) => {
      for (const claim of typed) query.orWhere({ kind: claim.kind, value: claim.value });
    }).select('customer_id'))
    .where({ status: 'open' })
    .modify((query) => {
      if (senderCustomerId !== undefined) query.whereNot({ customer_id: senderCustomerId });
    })
    .orderBy('updated_at', 'desc')
    .first('id', 'reference', 'customer_id', 'status');
}

function threadBy(trx: Knex.Transaction, where: { reference: string } | { id: number }): Promise<ThreadRow | undefined> {
  return trx('threads').where(where).first('id', 'reference', 'customer_id', 'status');
}

/** The customer's open thread when she has exactly one: with two, a contact without reference or reply headers is not guessed onto either. */
async function onlyOpenThreadOf(trx: Knex.Transaction, customerId: number): Promise<ThreadRow | undefined> {
  const open: ThreadRow[] = await trx('threads').where({ customer_id: customerId, status: 'open' }).limit(2).select('id', 'reference', 'customer_id', 'status');
  return open.length === 1 ? open[0] : undefined;
}

/** The threads of the messages a mail replies to, nearest first (In-Reply-To, then References from newest to oldest), each once. */
async function threadsRepliedTo(trx: Knex.Transaction, messageIds: string[]): Promise<ThreadRow[]> {
  if (messageIds.length === 0) return [];
  const rows: { message_id: string; thread_id: number }[] = await trx('contacts')
    .whereIn('message_id', messageIds)
    .select('message_id', 'thread_id');
  const byMessageId = new Map(rows.map((row) => [row.message_id, row.thread_id]));
  const [inReplyTo, ...references] = messageIds;
  const threadIds = [inReplyTo, ...references.reverse()].flatMap((id) => {
    const threadId = id === undefined ? undefined : byMessageId.get(id);
    return threadId === undefined ? [] : [threadId];
  });
  const distinct = [...new Set(threadIds)];
  if (distinct.length === 0) return [];
  const threads: ThreadRow[] = await trx('threads').whereIn('id', distinct).select('id', 'reference', 'customer_id', 'status');
  return distinct.flatMap((id) => threads.filter((thread) => thread.id === id));
}

async function openThread(
  trx: Knex.Transaction,
  sla: SlaClock,
  { contact, customerId, newCustomer, placement }: { contact: InboundContact; customerId: number; newCustomer: boolean; placement: Placement & { kind: 'open' } },
): Promise<ThreadRow> {
  const teamId = sla.defaultTeam;
  const category = contact.category ?? categoryOf(sla.config.categories, contact);
  const subject = { teamId, category, priority: 'normal' as const };
  const due = sla.dueTimes(subject, contact.at);
  const language = contact.language ?? (newCustomer ? DEFAULT_LANGUAGE : await customerLanguage(trx, customerId));
  const reference = await unusedReference(trx);
  const [row] = await trx('threads')
    .insert({
      reference,
      customer_id: customerId,
      status: 'open',
      category,
      summary: summarize(contact),
      language,
      channel: contact.channel,
      team_id: teamId,
      linked_thread_id: placement.linkTo?.thread.id ?? null,
      created_at: contact.at,
      updated_at: contact.at,
      first_response_due: due.firstResponseDue,
      resolution_due: due.resolutionDue,
    })
    .returning('id');
  const threadId = (row as { id: number }).id;
  await recordEvent(trx, { threadId, kind: 'thread-opened', at: contact.at, data: { channel: contact.channel } });
  if (placement.linkTo) {
    const { thread: linked, reason } = placement.linkTo;
    await recordEvent(trx, { threadId, kind: 'thread-linked', at: contact.at, data: { reference: linked.reference, reason } });
    await recordEvent(trx, { threadId: linked.id, kind: 'thread-linked', at: contact.at, data: { reference, reason } });
  }
  const made = { threadId, teamId, madeAt: contact.at };
  const jobs: JobSpec[] = [];
  const promises: NewPromise[] = [
    { ...made, kind: 'first-response', due: due.firstResponseDue },
    { ...made, kind: 'resolution', due: due.resolutionDue },
  ];
  if (contact.automatic) {
    await recordEvent(trx, { threadId, kind: 'acknowledgement-withheld', at: contact.at, data: { reason: contact.automatic.kind, signal: contact.automatic.signal } });
  } else {
    promises.unshift({ ...made, kind: 'acknowledgement', due: due.acknowledgeDue });
    jobs.push({ kind: ACKNOWLEDGE_JOB, payload: { threadId }, runAt: contact.at, dedupeKey: `${ACKNOWLEDGE_JOB}:${threadId}` });
  }
  await makePromises(trx, sla, promises, contact.at, jobs);
  await watchIdleThread(trx, sla, { threadId, teamId, openedAt: contact.at });
  return { id: threadId, reference, customer_id: customerId, status: 'open' };
}

/**
 * References are random in a space of 10 million, so a busy hub meets taken ones: with 1M
 * threads one draw in ten. Drawing again here costs an index lookup; a collision left to the
 * unique constraint would cost the whole transaction (and three in a row would fail the ingest).
 */
async function unusedReference(trx: Knex.Transaction): Promise<string> {
  for (let draw = 0; draw < 50; draw++) {
    const reference = newReference();
    if (!(await trx('threads').where({ reference }).first('id'))) return reference;
  }
  throw new Error('no unused reference found in 50 draws: the reference space is nearly full');
}

const SUMMARY_LENGTH = 280;

/** The first thing the customer said, as the thread's summary until an agent writes a better one. */
function summarize(contact: InboundContact): string {
  const text = [contact.subject, contact.body].filter(Boolean).join(': ').replace(/\s+/g, ' ').trim();
  return text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH - 1)}…` : text;
}

async function createCustomer(trx: Knex.Transaction, contact: InboundContact): Promise<number> {
  const [row] = await trx('customers')
    .insert({ name: contact.name ?? null, language: contact.language ?? DEFAULT_LANGUAGE, created_at: contact.at })
    .returning('id');
  return (row as { id: number }).id;
}

async function customerLanguage(trx: Knex.Transaction, customerId: number): Promise<Language> {
  const customer = await trx('customers').where({ id: customerId }).first('language');
  return customer?.language === 'en' ? 'en' : DEFAULT_LANGUAGE;
}

/** The new contact's id; undefined when this provider id is stored already (a retry). */
async function insertContact(
  trx: Knex.Transaction,
  { threadId, contact, from, verified }: { threadId: number; contact: InboundContact; from: Identity | undefined; verified: boolean },
): Promise<number | undefined> {
  const [row] = await trx('contacts')
    .insert({
      thread_id: threadId,
      channel: contact.channel,
      direction: 'inbound',
      provider_id: contact.providerId,
      message_id: contact.messageId ?? null,
      from_kind: from?.kind ?? null,
      from_value: from?.value ?? null,
      verified,
      automatic: contact.automatic?.kind ?? null,
      body: contact.body,
      at: contact.at,
      raw: contact.raw === undefined ? null : JSON.stringify(contact.raw),
    })
    .onConflict(['channel', 'provider_id'])
    .ignore()
    .returning('id');
  return (row as { id: number } | undefined)?.id;
}

/**
 * Attachments are stored with their contact, in its transaction. One over the size limit is kept
 * as name, type and size; the customer is told by mail (unless a machine sent it).
 */
async function storeAttachments(trx: Knex.Transaction, args: { threadId: number; contactId: number; contact: InboundContact }): Promise<void> {
  const attachments = args.contact.attachments ?? [];
  if (attachments.length === 0) return;
  await trx('attachments').insert(
    attachments.map((attachment) => ({
      contact_id: args.contactId,
      filename: attachment.filename,
      content_type: attachment.contentType,
      size: attachment.size,
      content: attachment.content ?? null,
    })),
  );
  const refused = attachments.filter((attachment) => attachment.content === undefined);
  if (refused.length === 0) return;
  const files = refused.map(({ filename, size }) => ({ filename, size }));
  await recordEvent(trx, { threadId: args.threadId, kind: 'attachment-refused', at: args.contact.at, data: { contactId: args.contactId, files } });
  if (!args.contact.automatic) {
    await enqueueJob(
      trx,
      { kind: ATTACHMENT_REFUSED_JOB, payload: { threadId: args.threadId, contactId: args.contactId }, runAt: args.contact.at, dedupeKey: `${ATTACHMENT_REFUSED_JOB}:${args.contactId}` },
      args.contact.at,
    );
  }
}
