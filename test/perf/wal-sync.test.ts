// WalSync (src/store/db.ts): durable commits off the event loop, shared by concurrent writers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, WalSync } from '../../src/store/db.js';

function diskDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-walsync-'));
  const db = openDatabase(dir);
  db.exec('CREATE TABLE t (x INTEGER)');
  return { db, cleanup: () => (db.close(), fs.rmSync(dir, { recursive: true, force: true })) };
}

test('a database in memory has nothing to sync', async () => {
  const db = openDatabase();
  const sync = new WalSync(db);
  await sync.durable();
  assert.equal(sync.syncs, 0);
  db.close();
});

test('a lone caller gets one fsync of its own', async () => {
  const { db, cleanup } = diskDb();
  const sync = new WalSync(db);
  db.prepare('INSERT INTO t VALUES (1)').run();
  await sync.durable();
  assert.equal(sync.syncs, 1);
  await sync.durable();
  assert.equal(sync.syncs, 2);
  cleanup();
});

test('callers arriving during a sync share the next one, which starts after theirs', async () => {
  const { db, cleanup } = diskDb();
  const sync = new WalSync(db);
  const order: string[] = [];
  const first = sync.durable().then(() => order.push('first'));
  // these commit while the first sync may already be past their data: they need a later sync
  const later = Array.from({ length: 10 }, (_, i) => {
    db.prepare('INSERT INTO t VALUES (?)').run(i);
    return sync.durable().then(() => order.push('later'));
  });
  await Promise.all([first, ...later]);
  assert.equal(sync.syncs, 2);
  assert.deepEqual(order, ['first', ...Array(10).fill('later')]);
  cleanup();
});

test('a failed sync rejects its callers and the next round still runs', async () => {
  const { db, cleanup } = diskDb();
  const sync = new WalSync(db);
  const wal = db.name + '-wal';
  db.prepare('INSERT INTO t VALUES (1)').run();
  await sync.durable();
  fs.renameSync(wal, wal + '.away');
  await assert.rejects(sync.durable(), /ENOENT/);
  fs.renameSync(wal + '.away', wal);
  await sync.durable();
  cleanup();
});
