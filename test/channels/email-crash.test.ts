import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { ImapFlow } from 'imapflow';
import { openDb, type Db } from '../../src/core/db';
import { storeName } from '../helpers/db';
import { connectImap, skipWithoutDovecot, startDovecot, type Mailbox } from '../helpers/dovecot';
import { numberedComplaint } from '../helpers/eml';
import { freshStore } from '../helpers/hub';

const MESSAGES = 500;
const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * The hub as operators run it (src/main.ts in its own process), SIGKILLed in the middle of a
 * 500-message catch-up and started again: every message becomes exactly one contact.
 */
describe(`email: the hub killed with SIGKILL mid catch-up (${storeName})`, function () {
  this.timeout(120_000);
  let dovecot: Mailbox | undefined;
  let imap: ImapFlow | undefined;
  let store: Awaited<ReturnType<typeof freshStore>> | undefined;
  let db: Db | undefined;
  const children: ChildProcess[] = [];

  before(async function () {
    skipWithoutDovecot(this);
    dovecot = await startDovecot();
    imap = await connectImap(dovecot);
    store = await freshStore();
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.destroy();
    await imap?.logout().catch(() => undefined);
    await dovecot?.stop();
    await store?.drop();
  });

  function startHubProcess(): { child: ChildProcess; stderr: string[] } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...dovecot?.env, DATABASE_URL: store?.url, PORT: '0', LOG_LEVEL: 'warn', CALLBACK_LINK_SECRET: 'crash-test' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    children.push(child);
    return { child, stderr };
  }

  const count = async (): Promise<number> => Number((await (db as Db)('contacts').where({ channel: 'email', direction: 'inbound' }).count({ n: '*' }))[0]?.n);

  it(`stores ${MESSAGES} messages as ${MESSAGES} contacts, none twice, although the hub died a fifth of the way`, async () => {
    if (!imap || !store) throw new Error('no mailbox');
    for (let n = 1; n <= MESSAGES; n++) await imap.append('INBOX', numberedComplaint(n));

    const victim = startHubProcess();
    db = openDb({ url: store.url });
    let atKill = 0;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(5)) {
      // The tables exist once the victim has migrated.
      atKill = await count().catch(() => 0);
      if (atKill >= MESSAGES / 5) break;
    }
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    expect(atKill, `victim stderr: ${victim.stderr.join('')}`).to.be.within(MESSAGES / 5, MESSAGES - 1);

    const survivor = startHubProcess();
    const deadline = Date.now() + 60_000;
    while ((await count()) < MESSAGES && Date.now() < deadline) await sleep(50);
    // A little longer: a duplicate would show up after the count reached 500.
    await sleep(500);

    expect(await count(), `survivor stderr: ${survivor.stderr.join('')}`).to.equal(MESSAGES);
    const distinct = await (db as Db)('contacts').where({ channel: 'email', direction: 'inbound' }).countDistinct({ n: 'provider_id' });
    expect(Number(distinct[0]?.n)).to.equal(MESSAGES);
    expect(Number((await db('threads').count({ n: '*' }))[0]?.n)).to.equal(MESSAGES);
    const cursor = await db('mailbox_cursors').where({ mailbox: 'INBOX' }).first('last_uid');
    expect(Number(cursor.last_uid)).to.equal(MESSAGES);
    survivor.child.kill('SIGTERM');
    await once(survivor.child, 'exit');
  });
});
