// S3Store's write paths: a null version rewritten in place must look exactly like a fresh
// one, and cached bucket rows must follow every bucket write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.js';
import { S3Store, type NewObject } from '../../src/services/s3/store.js';

function object(over: Partial<NewObject> = {}): NewObject {
  return {
    bucket: 'b',
    key: 'k',
    version_id: 'null',
    delete_marker: 0,
    account_id: '000000000000',
    region: 'us-east-1',
    size: 1,
    etag: 'e1',
    last_modified: 1000,
    chunks: '[["aa",1]]',
    headers: '{}',
    metadata: '{}',
    tags: '[]',
    storage_class: 'STANDARD',
    checksum: null,
    parts_count: null,
    ...over,
  };
}

test('overwriting the null version of an unversioned bucket leaves one fresh row', () => {
  const store = new S3Store(openDatabase());
  store.insertBucket('b', '000000000000', 'us-east-1', 0, false, null);
  const first = store.putVersion(object({ storage_class: 'GLACIER', tags: '[{"Key":"a","Value":"1"}]' }), true);
  store.setRestoreExpiry('b', 'k', 'null', 99_000);
  const second = store.putVersion(object({ etag: 'e2', size: 2, checksum: '{"Algorithm":"CRC32"}' }), true);
  assert.ok(second.seq > first.seq);
  const rows = [...store.iterateVersions('b', '')];
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.etag, 'e2');
  assert.equal(row.size, 2);
  assert.equal(row.seq, second.seq);
  assert.equal(row.is_latest, 1);
  assert.equal(row.storage_class, 'STANDARD');
  assert.equal(row.tags, '[]');
  assert.equal(row.checksum, '{"Algorithm":"CRC32"}');
  assert.equal(row.restore_expiry, null, 'a restored copy belongs to the version it was made of');
});

test('a bucket row read after a write shows the write (versioning, notification, delete)', () => {
  const store = new S3Store(openDatabase());
  store.insertBucket('b', '000000000000', 'us-east-1', 0, false, null);
  assert.equal(store.bucket('b')?.versioning, null);
  store.setBucketField('b', 'versioning', 'Enabled');
  assert.equal(store.bucket('b')?.versioning, 'Enabled');
  // with versioning on, a null-version write no longer takes the unversioned shortcut
  store.putVersion(object({ version_id: 'v1' }), false);
  store.setBucketField('b', 'versioning', 'Suspended');
  store.putVersion(object({ etag: 'n' }), true);
  const rows = [...store.iterateVersions('b', '')].map((r) => [r.version_id, r.is_latest]);
  assert.deepEqual(rows, [['null', 1], ['v1', 0]]);
  store.setStoredConfig('b', 'website', { IndexDocument: { Suffix: 'index.html' } });
  assert.deepEqual(store.storedConfig('b', 'website'), { IndexDocument: { Suffix: 'index.html' } });
  store.setBucketField('b', 'notification', '{"QueueConfigurations":[]}');
  assert.equal(store.bucket('b')?.notification, '{"QueueConfigurations":[]}');
  store.deleteVersion('b', 'k', 'null');
  store.deleteVersion('b', 'k', 'v1');
  store.deleteBucket('b');
  assert.equal(store.bucket('b'), undefined);
  store.insertBucket('b', '111111111111', 'eu-west-1', 5, false, null);
  assert.equal(store.bucket('b')?.account_id, '111111111111');
});

test('a bucket row read inside a transaction that rolls back is not kept', () => {
  const db = openDatabase();
  const store = new S3Store(db);
  store.insertBucket('b', '000000000000', 'us-east-1', 0, false, null);
  assert.throws(() =>
    db.transaction(() => {
      db.prepare("UPDATE s3_buckets SET versioning = 'Enabled' WHERE name = 'b'").run();
      assert.equal(store.bucket('b')?.versioning, 'Enabled');
      throw new Error('roll back');
    })(),
  );
  assert.equal(store.bucket('b')?.versioning, null);
});
