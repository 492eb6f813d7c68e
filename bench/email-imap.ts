import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { readEnv } from '../src/config/env';
import { Hub } from '../src/hub';
import { connectImap, startDovecot, type Mailbox } from '../test/helpers/dovecot';
import { numberedComplaint } from '../test/helpers/eml';
import { envInt, fixed, msSince, percentile, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';
import { complaintMailbox } from './mail-mix';

/**
 * Email ingest from a real Dovecot. The hub reads a mailbox of BENCH_IMAP_MESSAGES mails into a
 * fresh SQLite store (parsed, classified, threaded, persisted with attachments, flagged \Seen,
 * cursor moved). Its baseline is the least any reader that must parse and store does, measured in
 * the same run on the same mailbox: imapflow fetching in the hub's batches (50 messages),
 * mailparser's simpleParser on each (with the hub's options), and one SQLite insert of the parsed
 * text per message, one transaction per batch. (A raw imapflow fetch is no fair baseline: it only
 * slices literals off the wire.) The rounds alternate pipeline and hub; a figure is the median of
 * the per-round ratios hub/pipeline. Goal: 0.5 or more, for the realistic mix (bench/mail-mix.ts)
 * and for tiny text-only mails.
 *
 * Latency: with the hub idle on an empty folder, BENCH_IMAP_LATENCY_MESSAGES mails are delivered
 * into Dovecot one at a time, BENCH_IMAP_LATENCY_GAP_MS apart; each is timed from the start of its
 * APPEND until the hub's cursor has moved past it (stored and committed).
 *
 * Knobs: BENCH_IMAP_MESSAGES (1000), BENCH_IMAP_ROUNDS (3), BENCH_IMAP_LATENCY_MESSAGES (200),
 * BENCH_IMAP_LATENCY_GAP_MS (25).
 */

export const emailImapBenchmark: Benchmark = {
  name: 'email-imap',
  description: 'Email from Dovecot: messages/s stored by the hub vs a minimal fetch-parse-insert pipeline (ratio); p99 delivery to stored',
  run: runEmailImapBenchmark,
};

interface Round {
  pipelinePerSecond: number;
  hubPerSecond: number;
  ratio: number;
}

interface MailboxResult {
  averageKb: number;
  rounds: Round[];
  ratio: number;
  pipelinePerSecond: number;
  hubPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/** What the pipeline's batches are: the hub's BATCH_MESSAGES (src/channels/email/mailbox-watcher.ts). */
const PIPELINE_BATCH = 50;
/** The hub's own mailparser options (src/channels/email/parse-email.ts): the baseline parses no more and no less. */
const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, keepDeliveryStatus: true } as const;

const MAILBOXES = [
  { folder: 'Mix', label: 'realistic mix', fill: (count: number) => complaintMailbox(count) },
  { folder: 'SmallText', label: 'small text-only', fill: (count: number) => Array.from({ length: count }, (_, i) => Buffer.from(numberedComplaint(i + 1))) },
];

async function runEmailImapBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const messages = Math.max(10, envInt('BENCH_IMAP_MESSAGES', 1_000));
  const rounds = Math.max(1, envInt('BENCH_IMAP_ROUNDS', 3));
  const latencyMessages = Math.max(10, envInt('BENCH_IMAP_LATENCY_MESSAGES', 200));
  const gapMs = envInt('BENCH_IMAP_LATENCY_GAP_MS', 25);
  const dovecot = await startDovecot();
  const imap = await connectImap(dovecot);
  try {
    const results: Record<string, MailboxResult> = {};
    for (const mailbox of MAILBOXES) {
      const sources = mailbox.fill(messages);
      const averageKb = sources.reduce((sum, source) => sum + source.length, 0) / messages / 1024;
      log(`email-imap: ${mailbox.label}: ${messages} messages, ${fixed(averageKb, 1)} KB on average`);
      await imap.mailboxCreate(mailbox.folder);
      for (const source of sources) await imap.append(mailbox.folder, source);
      const measured: Round[] = [];
      for (let round = 1; round <= rounds; round++) {
        const pipelinePerSecond = await pipelineRate(imap, mailbox.folder, messages);
        const hubPerSecond = await hubIngestRate({ config, mailbox: dovecot, folder: mailbox.folder, messages });
        const ratio = hubPerSecond / pipelinePerSecond;
        log(`  round ${round}: pipeline ${fixed(pipelinePerSecond, 0)}/s, hub ${fixed(hubPerSecond, 0)}/s, ratio ${fixed(ratio, 3)}`);
        measured.push({ pipelinePerSecond, hubPerSecond, ratio });
      }
      const latencyMs = await deliveryLatency({ config, mailbox: dovecot, imap, folder: `${mailbox.folder}Latency`, sources: sources.slice(0, latencyMessages), gapMs });
      log(`  delivery to stored, ${latencyMessages} mails ${gapMs} ms apart: p50 ${fixed(latencyMs.p50, 1)} ms, p99 ${fixed(latencyMs.p99, 1)} ms, max ${fixed(latencyMs.max, 1)} ms`);
      results[mailbox.label] = {
        averageKb,
        rounds: measured,
        ratio: median(measured.map((r) => r.ratio)),
        pipelinePerSecond: median(measured.map((r) => r.pipelinePerSecond)),
        hubPerSecond: median(measured.map((r) => r.hubPerSecond)),
        latencyMs,
      };
    }
    return {
      table: {
        header: ['email-imap (median of rounds)', 'KB/mail', 'pipeline /s', 'hub stored /s', 'ratio', 'p50 ms', 'p99 ms'],
        rows: Object.entries(results).map(([label, r]) => [
          label,
          fixed(r.averageKb, 1),
          fixed(r.pipelinePerSecond, 0),
          fixed(r.hubPerSecond, 0),
          fixed(r.ratio, 3),
          fixed(r.latencyMs.p50, 1),
          fixed(r.latencyMs.p99, 1),
        ]),
      },
      tracked: {
        emailImapRatio: results['realistic mix']?.ratio ?? Number.NaN,
        emailImapRatioSmallText: results['small text-only']?.ratio ?? Number.NaN,
        emailImapP99Ms: results['realistic mix']?.latencyMs.p99 ?? Number.NaN,
      },
      data: { messages, latencyMessages, gapMs, mailboxes: results },
    };
  } finally {
    await imap.logout().catch(() => undefined);
    await dovecot.stop();
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** The baseline: fetch a batch, parse each message, insert each one's text in one transaction per batch. */
async function pipelineRate(imap: ImapFlow, folder: string, messages: number): Promise<number> {
  const store = tempSqlite('pipeline');
  const db = new Database(store.file);
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; create table mails (id integer primary key, uid integer not null, subject text, body text not null)');
    const insert = db.prepare('insert into mails (uid, subject, body) values (?, ?, ?)');
    const insertBatch = db.transaction((rows: { uid: number; subject: string | null; body: string }[]) => {
      for (const row of rows) insert.run(row.uid, row.subject, row.body);
    });
    const lock = await imap.getMailboxLock(folder);
    try {
      const start = process.hrtime.bigint();
      const uids = (await imap.search({ all: true }, { uid: true })) || [];
      for (let first = 0; first < uids.length; first += PIPELINE_BATCH) {
        const sources: { uid: number; source: Buffer }[] = [];
        for await (const message of imap.fetch(uids.slice(first, first + PIPELINE_BATCH), { uid: true, source: true }, { uid: true })) {
          if (message.source) sources.push({ uid: message.uid, source: message.source });
        }
        const rows = [];
        for (const { uid, source } of sources) {
          const parsed = await simpleParser(source, PARSE_OPTIONS);
          rows.push({ uid, subject: parsed.subject ?? null, body: parsed.text ?? '' });
        }
        insertBatch(rows);
      }
      const seconds = msSince(start) / 1000;
      const stored = (db.prepare('select count(*) as n from mails').get() as { n: number }).n;
      if (stored !== messages) throw new Error(`the pipeline stored ${stored} of ${messages} messages`);
      return messages / seconds;
    } finally {
      lock.release();
    }
  } finally {
    db.close();
    store.remove();
  }
}

/** A hub on a fresh store, for one folder; the caller starts its watcher. */
async function hubFor(args: { config: BenchContext['config']; mailbox: Mailbox; folder: string }): Promise<{ hub: Hub; close: () => Promise<void> }> {
  const store = tempSqlite('email');
  const env = readEnv({ DATABASE_URL: store.url, LOG_LEVEL: 'silent', PORT: '0', ...args.mailbox.env, IMAP_MAILBOX: args.folder });
  const hub = await Hub.create({ env, config: args.config, logger: pino({ level: 'silent' }), runJobs: false });
  if (!hub.mailbox) throw new Error('the hub did not configure its mailbox');
  return {
    hub,
    close: async () => {
      await hub.stop();
      store.remove();
    },
  };
}

/** A fresh hub reads the whole mailbox: timed from its watcher's start until the cursor passes the last message. */
async function hubIngestRate(args: { config: BenchContext['config']; mailbox: Mailbox; folder: string; messages: number }): Promise<number> {
  const { hub, close } = await hubFor(args);
  try {
    const mailbox = hub.mailbox as NonNullable<Hub['mailbox']>;
    const start = process.hrtime.bigint();
    mailbox.start();
    while ((mailbox.status().lastUid ?? 0) < args.messages) await sleep(5);
    const seconds = msSince(start) / 1000;
    const stored = Number((await hub.ctx.db('contacts').where({ channel: 'email' }).count({ n: '*' }))[0]?.n);
    if (stored !== args.messages) throw new Error(`the hub stored ${stored} of ${args.messages} messages`);
    return args.messages / seconds;
  } finally {
    await close();
  }
}

/**
 * Milliseconds from the start of each APPEND into Dovecot until the idle hub's cursor is past it.
 * Most of it is Dovecot's: it announces new mail to IDLE connections about 0.45 s after it arrives
 * (it gathers changes before notifying; measured with a bare imapflow client in IDLE).
 */
async function deliveryLatency(args: { config: BenchContext['config']; mailbox: Mailbox; imap: ImapFlow; folder: string; sources: Buffer[]; gapMs: number }): Promise<MailboxResult['latencyMs']> {
  await args.imap.mailboxCreate(args.folder);
  const { hub, close } = await hubFor(args);
  try {
    const mailbox = hub.mailbox as NonNullable<Hub['mailbox']>;
    mailbox.start();
    while (mailbox.status().state !== 'idle') await sleep(5);
    const samples: number[] = [];
    for (const source of args.sources) {
      const start = process.hrtime.bigint();
      const appended = await args.imap.append(args.folder, source);
      const uid = appended ? (appended.uid ?? 0) : 0;
      // Polled every millisecond: the cursor moves once the batch is committed.
      while ((mailbox.status().lastUid ?? 0) < uid) await sleep(1);
      samples.push(msSince(start));
      await sleep(args.gapMs);
    }
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: Math.max(...samples) };
  } finally {
    await close();
  }
}
