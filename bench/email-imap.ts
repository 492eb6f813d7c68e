import { setTimeout as sleep } from 'node:timers/promises';
import type { ImapFlow } from 'imapflow';
import pino from 'pino';
import { readEnv } from '../src/config/env';
import { Hub } from '../src/hub';
import { connectImap, startDovecot, type Mailbox } from '../test/helpers/dovecot';
import { numberedComplaint } from '../test/helpers/eml';
import { envInt, fixed, msSince, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';
import { complaintMailbox } from './mail-mix';

/**
 * Email ingest from a real Dovecot: a mailbox of BENCH_IMAP_MESSAGES mails read by the hub's
 * mailbox watcher into a fresh SQLite store (parsed, threaded, persisted with attachments,
 * flagged \Seen, cursor advanced), against imapflow fetching the same mailbox's raw sources in
 * one FETCH. The rounds alternate raw and hub; a figure is the median of the per-round ratios
 * hub/raw. Tracked: the realistic mix (bench/mail-mix.ts); also measured: small text-only mails,
 * where the raw fetch is nearly free and the ratio shows the hub's fixed cost per message.
 *
 * Knobs: BENCH_IMAP_MESSAGES (1000), BENCH_IMAP_ROUNDS (3).
 */

export const emailImapBenchmark: Benchmark = {
  name: 'email-imap',
  description: 'Email from Dovecot: messages/s stored by the hub vs raw imapflow fetch of the same mailbox (ratio)',
  run: runEmailImapBenchmark,
};

interface Round {
  rawPerSecond: number;
  hubPerSecond: number;
  ratio: number;
}

const MAILBOXES = [
  { folder: 'Mix', label: 'realistic mix', fill: (count: number) => complaintMailbox(count) },
  { folder: 'SmallText', label: 'small text-only', fill: (count: number) => Array.from({ length: count }, (_, i) => Buffer.from(numberedComplaint(i + 1))) },
];

async function runEmailImapBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const messages = Math.max(10, envInt('BENCH_IMAP_MESSAGES', 1_000));
  const rounds = Math.max(1, envInt('BENCH_IMAP_ROUNDS', 3));
  const dovecot = await startDovecot();
  const imap = await connectImap(dovecot);
  try {
    const results: Record<string, { averageKb: number; rounds: Round[]; ratio: number; rawPerSecond: number; hubPerSecond: number }> = {};
    for (const mailbox of MAILBOXES) {
      const sources = mailbox.fill(messages);
      const averageKb = sources.reduce((sum, source) => sum + source.length, 0) / messages / 1024;
      log(`email-imap: ${mailbox.label}: ${messages} messages, ${fixed(averageKb, 1)} KB on average`);
      await imap.mailboxCreate(mailbox.folder);
      for (const source of sources) await imap.append(mailbox.folder, source);
      const measured: Round[] = [];
      for (let round = 1; round <= rounds; round++) {
        const rawPerSecond = await rawFetchRate(imap, mailbox.folder, messages);
        const hubPerSecond = await hubIngestRate({ config, mailbox: dovecot, folder: mailbox.folder, messages });
        const ratio = hubPerSecond / rawPerSecond;
        log(`  round ${round}: raw fetch ${fixed(rawPerSecond, 0)}/s, hub ${fixed(hubPerSecond, 0)}/s, ratio ${fixed(ratio, 3)}`);
        measured.push({ rawPerSecond, hubPerSecond, ratio });
      }
      results[mailbox.label] = {
        averageKb,
        rounds: measured,
        ratio: median(measured.map((r) => r.ratio)),
        rawPerSecond: median(measured.map((r) => r.rawPerSecond)),
        hubPerSecond: median(measured.map((r) => r.hubPerSecond)),
      };
    }
    return {
      table: {
        header: ['email-imap (median of rounds)', 'KB/mail', 'raw fetch /s', 'hub stored /s', 'ratio'],
        rows: Object.entries(results).map(([label, r]) => [label, fixed(r.averageKb, 1), fixed(r.rawPerSecond, 0), fixed(r.hubPerSecond, 0), fixed(r.ratio, 3)]),
      },
      tracked: { emailImapRatio: results['realistic mix']?.ratio ?? Number.NaN, emailImapRatioSmallText: results['small text-only']?.ratio ?? Number.NaN },
      data: { messages, mailboxes: results },
    };
  } finally {
    await imap.logout().catch(() => undefined);
    await dovecot.stop();
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** The baseline: what imapflow alone takes to bring every message's source over the wire. */
async function rawFetchRate(imap: ImapFlow, folder: string, messages: number): Promise<number> {
  const lock = await imap.getMailboxLock(folder);
  try {
    const start = process.hrtime.bigint();
    let fetched = 0;
    for await (const message of imap.fetch('1:*', { uid: true, source: true }, { uid: true })) if (message.source) fetched++;
    if (fetched !== messages) throw new Error(`raw fetch saw ${fetched} of ${messages} messages`);
    return messages / (msSince(start) / 1000);
  } finally {
    lock.release();
  }
}

/** A fresh hub reads the whole mailbox: timed from its watcher's start until the cursor passes the last message. */
async function hubIngestRate(args: { config: BenchContext['config']; mailbox: Mailbox; folder: string; messages: number }): Promise<number> {
  const store = tempSqlite('email');
  const env = readEnv({ DATABASE_URL: store.url, LOG_LEVEL: 'silent', PORT: '0', ...args.mailbox.env, IMAP_MAILBOX: args.folder });
  const hub = await Hub.create({ env, config: args.config, logger: pino({ level: 'silent' }), runJobs: false });
  try {
    const mailbox = hub.mailbox;
    if (!mailbox) throw new Error('the hub did not configure its mailbox');
    const start = process.hrtime.bigint();
    mailbox.start();
    while ((mailbox.status().lastUid ?? 0) < args.messages) await sleep(5);
    const seconds = msSince(start) / 1000;
    const stored = Number((await hub.ctx.db('contacts').where({ channel: 'email' }).count({ n: '*' }))[0]?.n);
    if (stored !== args.messages) throw new Error(`the hub stored ${stored} of ${args.messages} messages`);
    return args.messages / seconds;
  } finally {
    await hub.stop();
    store.remove();
  }
}
