import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { ImapFlow } from 'imapflow';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's `dovecot-imapd`; `.ci/run` installs it. */
const DOVECOT = process.env.DOVECOT_PATH ?? '/usr/sbin/dovecot';

/**
 * Skips the calling suite, saying why, where Dovecot is not installed. Under CI (`.ci/run`
 * installs it and sets CI) a missing Dovecot is a failure: a skipped IMAP suite proves nothing.
 */
export function skipWithoutDovecot(suite: Mocha.Context): void {
  if (existsSync(DOVECOT)) return;
  if (process.env.CI) throw new Error(`Dovecot (Debian dovecot-imapd) is not installed at ${DOVECOT}: the IMAP suites cannot run`);
  console.log('      (skipped: Dovecot is not installed; apt-get install dovecot-imapd, or run .ci/run)');
  suite.skip();
}

export interface Mailbox {
  host: string;
  port: number;
  user: string;
  password: string;
  /** IMAP_* variables that point the hub at this mailbox. */
  env: Record<string, string>;
  /** Drops every client connection, as a server restart or a network cut would. */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * A real Dovecot in a temp directory, listening on a free loopback port, with one passwd-file
 * user and a maildir. It runs unprivileged mail processes as the `dovecot` user.
 */
export async function startDovecot(): Promise<Mailbox> {
  const root = mkdtempSync(join(tmpdir(), 'klachtenhub-dovecot-'));
  const port = await freePort();
  const user = 'klachten@example.nl';
  const password = 'secret';
  for (const dir of ['run', 'state', 'mail']) mkdirSync(join(root, dir));
  writeFileSync(join(root, 'users'), `${user}:{PLAIN}${password}\n`);
  writeFileSync(join(root, 'dovecot.conf'), config(root, port));
  execFileSync('chown', ['-R', 'dovecot:dovecot', join(root, 'mail')]);
  execFileSync('chmod', ['755', root]);
  execFileSync(DOVECOT, ['-c', join(root, 'dovecot.conf')], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    env: { IMAP_HOST: '127.0.0.1', IMAP_PORT: String(port), IMAP_USER: user, IMAP_PASSWORD: password, IMAP_TLS: 'false' },
    kick() {
      execFileSync('doveadm', ['-c', join(root, 'dovecot.conf'), 'kick', user], { stdio: 'ignore' });
    },
    async stop() {
      spawnSync('doveadm', ['-c', join(root, 'dovecot.conf'), 'stop'], { stdio: 'ignore' });
      const pidFile = join(root, 'run', 'master.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function config(root: string, port: number): string {
  return `base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${root}/mail/%u
first_valid_uid = 0
mail_uid = dovecot
mail_gid = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${root}/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${root}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Dovecot did not listen on port ${port}`);
}

/** A test's own IMAP client: it delivers mail by APPEND and looks at flags. */
export async function connectImap(dovecot: Mailbox): Promise<ImapFlow> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
  await client.connect();
  return client;
}

