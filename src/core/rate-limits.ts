import type { DbOrTrx } from './db';

/**
 * Gives out moments under a per-second limit shared by every hub instance (Twilio allows an
 * account so many new calls a second): each caller gets the first free moment at or after
 * `earliest`, one `1000 / perSecond` ms after the last one given. One statement on both stores;
 * on PostgreSQL the row stays locked until the caller's transaction commits, so instances take
 * turns. Example at 2 a second, three asking at 10:00:00.000: 10:00:00.000, .500, 10:00:01.000.
 */
export async function reserveMoment(db: DbOrTrx, args: { name: string; perSecond: number; earliest: number }): Promise<number> {
  const gap = Math.ceil(1000 / args.perSecond);
  const result: unknown = await db.raw(
    `insert into rate_limits (name, next_at) values (?, ?)
     on conflict (name) do update set next_at = (case when rate_limits.next_at > ? then rate_limits.next_at else ? end) + ?
     returning next_at`,
    [args.name, args.earliest + gap, args.earliest, args.earliest, gap],
  );
  // pg answers {rows}, better-sqlite3 the rows themselves.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { next_at: number | string }[];
  return Number(rows[0]?.next_at) - gap;
}
