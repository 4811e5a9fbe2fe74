// One SQLite database for all state (a file under the data directory, or in memory).
// Each store declares its own numbered migrations under its own scope name, so services
// evolve their tables independently. Every table is keyed first by account and region.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type Db = Database.Database;

/**
 * The addon's path, handed to better-sqlite3 so that it loads it directly: its default lookup
 * (the `bindings` package) probes a dozen paths and walks a stack trace, a visible share of
 * start-up. Left to that lookup when the build is not where a normal install puts it.
 */
function nativeBinding(): string | undefined {
  try {
    const addon = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    return fs.existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
}

const fsyncing = new WeakSet<Db>();

/**
 * Opens the store. On disk it is a WAL database committing with synchronous=NORMAL: a write is
 * in the WAL file before it is acknowledged, so it survives a crash or kill -9 of Nimbus (and
 * any restart), but not an OS crash or a power cut. `fsync` (NIMBUS_FSYNC) makes commits wait
 * for the disk (synchronous=FULL) so that they survive those too, at about a millisecond each.
 */
export function openDatabase(dataDir?: string, opts: { fsync?: boolean } = {}): Db {
  let db: Db;
  const options = { nativeBinding: nativeBinding() };
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    db = new Database(path.join(dataDir, 'nimbus.sqlite'), options);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.fsync ? 'FULL' : 'NORMAL'}`);
    if (opts.fsync) fsyncing.add(db);
  } else {
    db = new Database(':memory:', options);
  }
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS nimbus_migrations (scope TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

/** Whether commits wait for the disk (NIMBUS_FSYNC on a database on disk). */
export function fsyncs(db: Db): boolean {
  return fsyncing.has(db);
}

/**
 * Runs fn in a transaction that does not wait for the disk even when fsync is on: for writes
 * whose loss to a power cut only repeats work that AWS allows to repeat (a receive, a delete, an
 * async event claimed twice). The commit still survives a crash of Nimbus, and becomes power-cut
 * durable with the next waiting commit of any store.
 */
export function relaxedTransaction<T>(db: Db, fn: () => T): T {
  if (!fsyncs(db)) return db.transaction(fn)();
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/** Applies migrations[i] for every i at or above the scope's recorded version, in one transaction each. */
export function migrate(db: Db, scope: string, migrations: string[]): void {
  const row = db.prepare('SELECT version FROM nimbus_migrations WHERE scope = ?').get(scope) as { version: number } | undefined;
  let version = row?.version ?? 0;
  while (version < migrations.length) {
    const sql = migrations[version];
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO nimbus_migrations (scope, version) VALUES (?, ?) ON CONFLICT(scope) DO UPDATE SET version = excluded.version').run(scope, version + 1);
    })();
    version++;
  }
}
