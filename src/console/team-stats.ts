import { DateTime } from 'luxon';
import type { HubConfig } from '../config/hub-config';
import { CHANNELS, type Channel } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { barChartSvg } from './svg-chart';
import { PROMISE_KINDS, type PromiseKind } from '../promises/records';
import { PROMISE_KIND_WORDS } from '../promises/words';

export const TEAM_VIEW_DAYS = 14;
/** "Near" a promise: due within two hours. */
const NEAR_MS = 2 * 3_600_000;

export interface TeamStats {
  days: string[];
  newThreads: Record<Channel, number[]>;
  /** Median seconds from a thread's opening to its acknowledgement, per day (0: none that day). */
  ackMedianSeconds: number[];
  acknowledgeTargetSeconds: number;
  /** Of the threads opened that day that got a first response: answered within the promised time, and late. */
  firstResponse: { onTime: number[]; late: number[] };
  /** Callbacks due that day: placed within a minute of the promised start, 1-5 minutes late, later, or missed. */
  callbacks: { onTime: number[]; late: number[]; veryLate: number[]; missed: number[] };
  atRisk: { reference: string; name: string | null; promise: 'first-response' | 'resolution'; due: number }[];
  /** Promises settled in the fortnight, per kind: kept, and broken (kept late or not at all). */
  promises: Record<PromiseKind, { kept: number; broken: number }>;
}

/** What a team lead looks at: the last 14 days by the business calendar, and what is about to break now. */
export async function teamStats(db: DbOrTrx, args: { config: HubConfig; now: number; team?: string }): Promise<TeamStats> {
  const zone = args.config.timezone;
  const firstDay = DateTime.fromMillis(args.now, { zone }).startOf('day').minus({ days: TEAM_VIEW_DAYS - 1 });
  const since = firstDay.toMillis();
  // Each day's start by the business calendar (a day has 23 or 25 hours when the clocks change),
  // worked out once: a time zone conversion per row cost 4 s for the 80,000 rows of a busy fortnight.
  const dayStarts = Array.from({ length: TEAM_VIEW_DAYS }, (_, i) => firstDay.plus({ days: i }).toMillis());
  const dayOf = (at: number) => dayStarts.filter((start) => start <= at).length - 1;
  const days = Array.from({ length: TEAM_VIEW_DAYS }, (_, i) => firstDay.plus({ days: i }).setLocale('nl-NL').toFormat('d/L'));
  const zeros = () => Array.from({ length: TEAM_VIEW_DAYS }, () => 0);

  const threadsOpened = () =>
    db('threads')
      .where('created_at', '>=', since)
      .modify((builder) => {
        if (args.team) builder.where('team_id', args.team);
      });
  const threads: { id: number; channel: Channel; created_at: number; first_response_due: number | null; first_response_at: number | null }[] = await threadsOpened().select(
    'id',
    'channel',
    'created_at',
    'first_response_due',
    'first_response_at',
  );
  const newThreads = Object.fromEntries(CHANNELS.map((channel) => [channel, zeros()])) as Record<Channel, number[]>;
  const firstResponse = { onTime: zeros(), late: zeros() };
  for (const thread of threads) {
    const day = dayOf(Number(thread.created_at));
    (newThreads[thread.channel] as number[])[day]! += 1;
    if (thread.first_response_at !== null && thread.first_response_due !== null) {
      (Number(thread.first_response_at) <= Number(thread.first_response_due) ? firstResponse.onTime : firstResponse.late)[day]! += 1;
    }
  }

  // By the fortnight's thread ids, so the timeline's thread index is used: a join let SQLite read
  // the whole timeline for its acknowledgements.
  const acknowledged: { thread_id: number; at: number }[] = await db('timeline_events')
    .where('kind', 'acknowledged')
    .whereIn('thread_id', threadsOpened().select('id'))
    .select('thread_id', 'at');
  const openedAt = new Map(threads.map((thread) => [Number(thread.id), Number(thread.created_at)]));
  const ackSeconds: number[][] = Array.from({ length: TEAM_VIEW_DAYS }, () => []);
  for (const row of acknowledged) {
    const opened = openedAt.get(Number(row.thread_id));
    // A thread opened between the two reads is in the next page load's figures.
    if (opened !== undefined) ackSeconds[dayOf(opened)]?.push((Number(row.at) - opened) / 1000);
  }

  const callbackRows: { start: number; status: string; actual_start: number | null }[] = await db('callbacks')
    .where('start', '>=', since)
    .where('start', '<=', args.now)
    .whereIn('status', ['done', 'missed', 'booked'])
    .modify((builder) => {
      if (args.team) builder.where('team_id', args.team);
    })
    .select('start', 'status', 'actual_start');
  const callbacks = { onTime: zeros(), late: zeros(), veryLate: zeros(), missed: zeros() };
  for (const row of callbackRows) {
    const day = dayOf(Number(row.start));
    const lateness = row.actual_start === null ? null : (Number(row.actual_start) - Number(row.start)) / 60_000;
    const bucket = lateness === null ? (row.status === 'booked' ? undefined : callbacks.missed) : lateness <= 1 ? callbacks.onTime : lateness <= 5 ? callbacks.late : callbacks.veryLate;
    if (bucket) bucket[day]! += 1;
  }

  const horizon = args.now + NEAR_MS;
  const open: { reference: string; name: string | null; first_response_due: number | null; first_response_at: number | null; resolution_due: number | null }[] = await db('threads')
    .join('customers', 'customers.id', 'threads.customer_id')
    .where('threads.status', 'open')
    .where((builder) => builder.where((inner) => inner.whereNull('threads.first_response_at').where('threads.first_response_due', '<=', horizon)).orWhere('threads.resolution_due', '<=', horizon))
    .modify((builder) => {
      if (args.team) builder.where('threads.team_id', args.team);
    })
    .select('threads.reference', 'customers.name', 'threads.first_response_due', 'threads.first_response_at', 'threads.resolution_due')
    .limit(500);
  const atRisk = open
    .map((row) => {
      const firstResponseOpen = row.first_response_at === null && row.first_response_due !== null && Number(row.first_response_due) <= horizon;
      return firstResponseOpen
        ? { reference: row.reference, name: row.name, promise: 'first-response' as const, due: Number(row.first_response_due) }
        : { reference: row.reference, name: row.name, promise: 'resolution' as const, due: Number(row.resolution_due) };
    })
    .sort((a, b) => a.due - b.due)
    .slice(0, 50);

  // By when they were settled (indexed): the fortnight's promises, not the history's.
  const settled: { kind: PromiseKind; state: 'kept' | 'broken'; n: number | string }[] = await db('promises')
    .join('threads', 'threads.id', 'promises.thread_id')
    .where('promises.settled_at', '>=', since)
    .whereIn('promises.state', ['kept', 'broken'])
    .modify((builder) => {
      if (args.team) builder.where('threads.team_id', args.team);
    })
    .groupBy('promises.kind', 'promises.state')
    .select('promises.kind', 'promises.state')
    .count({ n: '*' });
  const promises = Object.fromEntries(PROMISE_KINDS.map((kind) => [kind, { kept: 0, broken: 0 }])) as TeamStats['promises'];
  for (const row of settled) {
    const counts = promises[row.kind];
    if (counts) counts[row.state] += Number(row.n);
  }

  return {
    days,
    newThreads,
    ackMedianSeconds: ackSeconds.map(median),
    acknowledgeTargetSeconds: args.config.sla.acknowledgeSeconds,
    firstResponse,
    callbacks,
    atRisk,
    promises,
  };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const CHANNEL_COLOUR: Record<Channel, string> = { voice: '#0b5cad', sms: '#2a9d8f', email: '#e9a23b', chat: '#8e5ac8' };

/** The team view's charts, as inline SVG. */
export function teamCharts(stats: TeamStats, channelWord: Record<Channel, string>): string[] {
  const kinds = PROMISE_KINDS.filter((kind) => stats.promises[kind].kept + stats.promises[kind].broken > 0);
  return [
    barChartSvg({
      title: 'Beloftes van de afgelopen 14 dagen: gehouden en niet gehouden, per soort',
      labels: kinds.map((kind) => PROMISE_KIND_WORDS.nl[kind]),
      stacked: true,
      series: [
        { name: 'gehouden', colour: '#2a9d8f', values: kinds.map((kind) => stats.promises[kind].kept) },
        { name: 'niet gehouden', colour: '#a32020', values: kinds.map((kind) => stats.promises[kind].broken) },
      ],
    }),
    barChartSvg({ title: 'Nieuwe klachten per kanaal per dag', labels: stats.days, stacked: true, series: CHANNELS.map((channel) => ({ name: channelWord[channel], colour: CHANNEL_COLOUR[channel], values: stats.newThreads[channel] })) }),
    barChartSvg({
      title: 'Ontvangstbevestiging: mediaan in seconden',
      labels: stats.days,
      series: [{ name: 'mediaan', colour: '#0b5cad', values: stats.ackMedianSeconds }],
      target: { value: stats.acknowledgeTargetSeconds, label: `doel ${stats.acknowledgeTargetSeconds} s` },
      unit: ' s',
    }),
    barChartSvg({ title: 'Eerste reactie binnen de belofte', labels: stats.days, stacked: true, series: [{ name: 'op tijd', colour: '#2a9d8f', values: stats.firstResponse.onTime }, { name: 'te laat', colour: '#a32020', values: stats.firstResponse.late }] }),
    barChartSvg({
      title: 'Terugbellen: stiptheid',
      labels: stats.days,
      stacked: true,
      series: [
        { name: 'binnen 1 min', colour: '#2a9d8f', values: stats.callbacks.onTime },
        { name: '1-5 min laat', colour: '#e9a23b', values: stats.callbacks.late },
        { name: 'later', colour: '#d1603d', values: stats.callbacks.veryLate },
        { name: 'gemist', colour: '#a32020', values: stats.callbacks.missed },
      ],
    }),
  ];
}
