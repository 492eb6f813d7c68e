import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { storeName } from '../helpers/db';
import { corpusMail } from '../helpers/eml';
import { useMailHub } from '../helpers/mail-hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const CORPUS = join(__dirname, '..', 'fixtures', 'email', 'corpus');

/**
 * What the hub must make of each file (reviewed by hand, see SOURCES.md): `kinds` maps every mail
 * to person, no-sender, bounce, delivery-notice, unreadable or its kind of automatic mail;
 * `sameMessageAs` names the files that are the same message as an earlier one (same Message-ID,
 * sender, date, subject and text: variants of a test suite's sample), stored once.
 */
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as { kinds: Record<string, string>; sameMessageAs: Record<string, string> };
/** Kinds that are stored as contacts; the rest (bounce, delivery-notice, unreadable) are not. */
const NOT_STORED = new Set(['bounce', 'delivery-notice', 'unreadable']);

function corpusFiles(): string[] {
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) => readdirSync(join(CORPUS, dir.name)).filter((file) => file.endsWith('.eml')).map((file) => `${dir.name}/${file}`))
    .sort();
}

/** How many distinct contacts the files of these kinds make. */
function storedOf(kinds: (kind: string) => boolean): number {
  return Object.entries(expected.kinds).filter(([file, kind]) => kinds(kind) && !NOT_STORED.has(kind) && !expected.sameMessageAs[file]).length;
}

describe(`the regression corpus: real mail from public test suites through Dovecot (${storeName})`, function () {
  this.timeout(240_000);
  const mail = useMailHub({ folderPrefix: 'Corpus', now: TUESDAY_10 });
  const db = () => mail.t.hub.ctx.db;

  it('every mail is stored or classified as expected, none blocks the mailbox, and nothing is sent to automatic mail', async () => {
    const files = corpusFiles();
    expect(files).to.deep.equal(Object.keys(expected.kinds).sort());
    expect(files.length).to.be.at.least(150);

    let last = 0;
    for (const file of files) last = await mail.deliver(corpusMail(file));
    await mail.readPast(last, 180_000);

    // None blocks: the hub read past the last one, and set aside only what the parser cannot read.
    const unreadable = files.filter((file) => expected.kinds[file] === 'unreadable').length;
    const { mailbox } = (await mail.t.request('GET', '/healthz')).json;
    expect(mailbox).to.deep.include({ state: 'idle', stuck: null, quarantined: unreadable });
    const lock = await mail.imap.getMailboxLock(mail.folder);
    try {
      const unseen: number[] = [];
      let left = 0;
      for await (const message of mail.imap.fetch('1:*', { uid: true, flags: true })) {
        left++;
        if (!message.flags?.has('\\Seen')) unseen.push(message.uid);
      }
      expect({ left, unseen }).to.deep.equal({ left: files.length - unreadable, unseen: [] });
    } finally {
      lock.release();
    }

    // Stored as expected: each kind of automatic mail marked as such, persons (with or without a sender) not.
    const stored: { automatic: string | null; from_value: string | null; n: number | string }[] = await db()('contacts')
      .where({ channel: 'email', direction: 'inbound' })
      .groupBy('automatic', db().raw('from_value is null'))
      .select('automatic', db().raw('min(from_value) as from_value'))
      .count({ n: '*' });
    const count = (test: (row: (typeof stored)[number]) => boolean) => stored.filter(test).reduce((sum, row) => sum + Number(row.n), 0);
    const automaticKinds = [...new Set(Object.values(expected.kinds))].filter((kind) => !['person', 'no-sender', ...NOT_STORED].includes(kind));
    expect({
      persons: count((row) => row.automatic === null && row.from_value !== null),
      withoutSender: count((row) => row.automatic === null && row.from_value === null),
      ...Object.fromEntries(automaticKinds.map((kind) => [kind, count((row) => row.automatic === kind)])),
    }).to.deep.equal({
      persons: storedOf((kind) => kind === 'person'),
      withoutSender: storedOf((kind) => kind === 'no-sender'),
      ...Object.fromEntries(automaticKinds.map((kind) => [kind, storedOf((candidate) => candidate === kind)])),
    });

    // No acknowledgement to automatic mail: only threads a person's mail opened are acknowledged;
    // every thread automatic mail opened says why it was not.
    while ((await mail.t.hub.worker.runDue()) > 0);
    const events = (kind: string) => db()('timeline_events').whereRaw('timeline_events.thread_id = threads.id').where({ kind }).count('*');
    const first = (column: string | Knex.Raw) => db()('contacts').whereRaw('contacts.thread_id = threads.id').where({ direction: 'inbound' }).orderBy('id').limit(1).select(column);
    const threads: { automatic: string | null; proven: number | boolean | null; acknowledged: number | string; notSent: number | string; withheld: number | string }[] = await db()('threads').select(
      first('automatic').as('automatic'),
      // The address it came from is proven: a sender, and no DMARC failure or Reply-To of another.
      first(db().raw('from_value is not null and verified')).as('proven'),
      events('acknowledged').as('acknowledged'),
      events('acknowledgement-not-sent').as('notSent'),
      events('acknowledgement-withheld').as('withheld'),
    );
    const openedByMachine = threads.filter((thread) => thread.automatic !== null);
    expect(openedByMachine.filter((thread) => Number(thread.acknowledged) > 0)).to.deep.equal([]);
    expect(openedByMachine.filter((thread) => Number(thread.withheld) !== 1)).to.deep.equal([]);
    // Every thread a person's mail opened is acknowledged when it came from a proven address, and says so when it could not be.
    const openedByPerson = threads.filter((thread) => thread.automatic === null);
    expect(openedByPerson.filter((thread) => (Boolean(thread.proven) ? [1, 0] : [0, 1]).join() !== [Number(thread.acknowledged), Number(thread.notSent)].join())).to.deep.equal([]);
    const acknowledged = openedByPerson.filter((thread) => Number(thread.acknowledged) === 1).length;
    expect(acknowledged).to.be.greaterThan(80);
    expect(mail.smtp.received).to.have.length(acknowledged);
    expect(await db()('jobs').where({ state: 'failed' }).select('kind', 'last_error')).to.deep.equal([]);
  });
});
