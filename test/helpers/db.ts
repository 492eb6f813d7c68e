import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDb, type Db } from '../../src/core/db';

/**
 * The store under test: PostgreSQL when DATABASE_URL points at one (the CI's second pass),
 * otherwise a real SQLite file in a temp directory.
 */
export const storeUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
export const storeName = storeUrl ? 'PostgreSQL' : 'SQLite';

export interface TestDb {
  db: Db;
  /** Connection settings another process can use to open the same store. */
  url: string;
  schema?: string;
  destroy(): Promise<void>;
}

/** A fresh database, migrated unless told not to (a migration's own test): its own SQLite file, or its own schema on PostgreSQL. */
export async function createTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  const migrate = options.migrate === false ? async () => undefined : migrateToLatest;
  if (storeUrl) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = openDb({ url: storeUrl });
    await admin.raw(`create schema ${schema}`);
    await admin.destroy();
    const db = openDb({ url: storeUrl, schema });
    await migrate(db);
    return {
      db,
      url: storeUrl,
      schema,
      async destroy() {
        await db.destroy();
        const cleanup = openDb({ url: storeUrl });
        await cleanup.raw(`drop schema ${schema} cascade`);
        await cleanup.destroy();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'klachtenhub-test-'));
  const url = `sqlite:${join(dir, 'hub.db')}`;
  const db = openDb({ url });
  await migrate(db);
  return {
    db,
    url,
    async destroy() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
