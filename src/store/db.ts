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

export function openDatabase(dataDir?: string): Db {
  let db: Db;
  const options = { nativeBinding: nativeBinding() };
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    db = new Database(path.join(dataDir, 'nimbus.sqlite'), options);
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged write survives a kill -9 and a power cut, not only a process crash.
    db.pragma('synchronous = FULL');
  } else {
    db = new Database(':memory:', options);
  }
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS nimbus_migrations (scope TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
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

/**
 * Durable commits that do not block the event loop, for a database on disk. SQLite's own
 * synchronous=FULL fsyncs the WAL inside COMMIT, on the main thread: while the disk syncs (about
 * a millisecond, often more) Nimbus can neither read requests nor answer them. Instead a store
 * can commit with synchronous=NORMAL (the transaction is in the WAL and survives a crash of the
 * process) and await durable() before acknowledging: it fsyncs the WAL file on libuv's thread
 * pool, and resolves once a sync that began after the call has completed, so every transaction
 * committed before the call survives a power cut, as with FULL. Callers that arrive while a sync
 * is running share the next one, so concurrent writers cost one fsync per round, not one each.
 *
 * Why this is as safe as FULL for what was acknowledged: with WAL, a commit is durable once its
 * frames (ending in a commit frame, with the WAL header before them) are on disk, and fsync of
 * the file writes all of its data, whoever wrote it. Frames that were only partly written when
 * power went fail their checksums and are ignored on recovery, and they belong to transactions
 * that were not acknowledged. Checkpoints under NORMAL still sync the WAL and the database
 * themselves. The directory entry of the WAL file is synced once, as SQLite does on its first
 * sync of a new WAL.
 */
export class WalSync {
  /** fsyncs started so far (tests, diagnostics) */
  syncs = 0;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private directorySynced = false;
  private readonly walFile: string | undefined;

  constructor(db: Db) {
    this.walFile = db.memory ? undefined : db.name + '-wal';
  }

  /** Resolves when every transaction committed before this call is on disk. */
  durable(): Promise<void> {
    if (!this.walFile) return Promise.resolve();
    // A sync already running may have started before the caller's commit: wait for the next.
    if (this.running) return (this.queued ??= this.running.catch(() => undefined).then(() => this.start()));
    return this.start();
  }

  private start(): Promise<void> {
    this.queued = undefined;
    this.syncs++;
    const file = this.walFile!;
    const sync = (async () => {
      if (!this.directorySynced) {
        await fsyncPath(path.dirname(file));
        this.directorySynced = true;
      }
      await fsyncPath(file);
    })();
    const running = sync.finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }
}

async function fsyncPath(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
