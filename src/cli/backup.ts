import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { readEnv } from '../config/env';
import { ConfigError } from '../config/hub-config';
import { sqliteFile } from '../core/db';

/**
 * `npm run backup -- <file>`: a consistent copy of the SQLite store while the hub runs. SQLite's
 * online backup copies page by page and starts over when a writer changed a page it had copied,
 * so the copy is one moment of the store, with every contact committed before it began; writers
 * are not stopped. On PostgreSQL the database's own tools do this (pg_dump, base backups).
 */
async function main(args: string[]): Promise<void> {
  const [target] = args;
  if (!target) throw new ConfigError('usage: npm run backup -- <file>');
  const env = readEnv();
  if (/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    throw new ConfigError('DATABASE_URL is PostgreSQL: back it up with pg_dump (or your provider\'s backups); see docs/operating.md');
  }
  const source = sqliteFile(env.DATABASE_URL);
  if (!existsSync(source)) throw new ConfigError(`no store at ${source} (DATABASE_URL); nothing to back up`);
  const destination = resolve(target);
  if (existsSync(destination)) throw new ConfigError(`${destination} exists already; choose a new file, a backup never overwrites one`);
  const db = new Database(source, { fileMustExist: true });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  const copy = new Database(destination, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy at ${destination} failed SQLite's check: ${String(check)}`);
    const { n } = copy.prepare('select count(*) as n from contacts').get() as { n: number };
    process.stdout.write(`Backed up ${source} to ${destination} (${n} contacts).\n`);
  } finally {
    copy.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
