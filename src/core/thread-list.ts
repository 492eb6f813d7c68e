import type { DbOrTrx } from './db';
import { DomainError } from './errors';
import { toIso } from './format-time';
import { normalizeEmail, normalizePhone } from './identity';
import { parseReference } from './reference';

export interface ThreadListQuery {
  status?: 'open' | 'resolved';
  /** A reference, a name (part of it), a phone number in any notation, or an email address. */
  q?: string;
  cursor?: string;
  limit: number;
}

export interface ThreadListItem {
  reference: string;
  status: string;
  customer: { name: string | null };
  issue: { summary: string | null };
  updatedAt: string;
}

/** Most recently updated first, paged by a keyset cursor so page N costs the same as page 1. */
export async function listThreads(
  db: DbOrTrx,
  query: ThreadListQuery,
  options: { timezone: string },
): Promise<{ threads: ThreadListItem[]; nextCursor: string | null }> {
  const rows: ThreadListRow[] = await db('threads')
    .join('customers', 'customers.id', 'threads.customer_id')
    .modify((builder) => {
      if (query.status) builder.where('threads.status', query.status);
      if (query.q) builder.where((inner) => matchSearch(db, inner, query.q as string));
      if (query.cursor) {
        const { updatedAt, id } = decodeCursor(query.cursor);
        builder.where((inner) =>
          inner.where('threads.updated_at', '<', updatedAt).orWhere((tie) => tie.where('threads.updated_at', updatedAt).andWhere('threads.id', '<', id)),
        );
      }
    })
    .orderBy([{ column: 'threads.updated_at', order: 'desc' }, { column: 'threads.id', order: 'desc' }])
    .limit(query.limit + 1)
    .select('threads.id', 'threads.reference', 'threads.status', 'threads.summary', 'threads.updated_at', 'customers.name');

  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    threads: page.map((row) => ({
      reference: row.reference,
      status: row.status,
      customer: { name: row.name },
      issue: { summary: row.summary },
      updatedAt: toIso(row.updated_at, options.timezone),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.updated_at, last.id) : null,
  };
}

interface ThreadListRow {
  id: number;
  reference: string;
  status: string;
  summary: string | null;
  updated_at: number;
  name: string | null;
}

/** Threads whose reference, customer name (part), phone (any notation) or email matches `q`; for `where(inner => ...)`. */
export function matchSearch(db: DbOrTrx, builder: import('knex').Knex.QueryBuilder, q: string): void {
  const reference = parseReference(q);
  if (reference) builder.orWhere('threads.reference', reference);
  const identities = [
    { kind: 'phone', value: normalizePhone(q) },
    { kind: 'email', value: normalizeEmail(q) },
  ].filter((identity): identity is { kind: string; value: string } => identity.value !== undefined);
  for (const identity of identities) {
    builder.orWhereIn('threads.customer_id', db('identities').where(identity).select('customer_id'));
  }
  const pattern = `%${q.trim().toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  builder.orWhereRaw(`lower(customers.name) like ? escape '\\'`, [pattern]);
}

function encodeCursor(updatedAt: number, id: number): string {
  return Buffer.from(`${updatedAt}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: number; id: number } {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new DomainError('invalid_request', 'cursor is not one this API gave out');
  return { updatedAt: Number(match[1]), id: Number(match[2]) };
}
