import type { InboundContact, IngestResult } from './contact';
import { isPostgres } from './db';
import { ingestContact, ingestTogether, storeInOrder, type IngestDeps } from './ingest';

/** How the hub stores inbound contacts. */
export interface ContactIngest {
  /** One contact: a webhook, a chat message. */
  one(contact: InboundContact): Promise<IngestResult>;
  /** Contacts that arrived together, stored in this order (a fetch of mail): each result in its place. */
  inOrder(contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]>;
}

/** Contacts stored by one commit at most: bounds how long one transaction holds the connection. */
const MAX_GROUP = 50;

/**
 * How the hub stores inbound contacts, by store.
 *
 * SQLite: group commit. The embedded store has one writer and the hub one connection to it, so
 * ingests run one after another anyway; what costs is each contact's own transaction (knex's
 * transaction object, BEGIN, and the COMMIT that writes the WAL cost more than the statements
 * that place a contact on its thread). Contacts handed in during one turn of the event loop
 * (webhooks whose bodies arrived together, a batch of mail) share one transaction, each in its
 * own savepoint, and every caller is answered only after that commit: nothing is confirmed to
 * Twilio or flagged \Seen before it is stored.
 *
 * PostgreSQL: a transaction per contact. It runs transactions side by side (a connection pool,
 * several hub instances), and a shared transaction would hold each customer's lock until the
 * group's last contact is stored; two instances' groups could deadlock on each other's customers.
 * Contacts that must keep their order are stored one after another there: side by side, their
 * commits could come in any order, and a customer's second mail could open her thread.
 */
export function contactIngest(deps: IngestDeps): ContactIngest {
  if (isPostgres(deps.db)) {
    return {
      one: (contact) => ingestContact(deps, contact),
      inOrder: (contacts) => storeInOrder(contacts, (contact) => ingestContact(deps, contact)),
    };
  }
  const group = new GroupCommit(deps);
  // Handed in together, in order: the queue keeps that order within the group they share.
  return { one: (contact) => group.ingest(contact), inOrder: (contacts) => Promise.allSettled(contacts.map((contact) => group.ingest(contact))) };
}

interface Waiting {
  contact: InboundContact;
  resolve: (result: IngestResult) => void;
  reject: (reason: unknown) => void;
}

class GroupCommit {
  private waiting: Waiting[] = [];
  /** A flush is scheduled or running: it takes whatever is waiting until nothing is. */
  private flushing = false;

  constructor(private readonly deps: IngestDeps) {}

  ingest(contact: InboundContact): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ contact, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // After the poll phase, not on the next tick: every request whose body arrived in this
      // turn of the event loop has then handed in its contact, and they share the commit.
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, MAX_GROUP);
      try {
        const results = await this.store(group.map((waiting) => waiting.contact));
        results.forEach((result, i) => {
          const waiting = group[i] as Waiting;
          if (result.status === 'fulfilled') waiting.resolve(result.value);
          else waiting.reject(result.reason);
        });
      } catch (error) {
        // The commit itself failed: none of the group is stored.
        for (const waiting of group) waiting.reject(error);
      }
    }
    this.flushing = false;
  }

  /** A contact alone needs no savepoint: the quiet hours' webhook costs what it did before grouping. */
  private store(contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]> {
    const [only, ...more] = contacts;
    if (only && more.length === 0) return Promise.allSettled([ingestContact(this.deps, only)]);
    return ingestTogether(this.deps, contacts);
  }
}
