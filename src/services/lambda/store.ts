// Lambda's stored state: one JSON document per function version (AWS's FunctionConfiguration plus
// what Nimbus needs to run it), with the columns lookups and listings use indexed beside it.
// Everything is keyed by account and region first, as on AWS where a function name is unique
// per account and region.
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';
import type { FunctionConfiguration } from '../../generated/lambda.js';

export const LATEST = '$LATEST';

export interface StoredVersion {
  /** AWS's FunctionConfiguration with settled State/LastUpdateStatus (in-flight states are overlaid on read) */
  config: FunctionConfiguration;
  /** hex SHA-256 of the zip in the blob store (absent for container images) */
  codeSha256Hex?: string;
  unzippedSize?: number;
  layers: { arn: string; codeSha256Hex: string; size: number; unzippedSize: number }[];
  imageUri?: string;
  /** for published versions: the hash of the $LATEST code and configuration they were made from */
  configHash?: string;
}

export interface FunctionRow {
  account_id: string;
  region: string;
  name: string;
  next_version: number;
  tags: string;
  reserved_concurrency: number | null;
  recursive_loop: string;
  busy_kind: string | null;
  busy_until: number;
  created_at: number;
}

const MIGRATIONS = [
  `
  CREATE TABLE lambda_functions (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    next_version INTEGER NOT NULL DEFAULT 1,
    tags TEXT NOT NULL DEFAULT '{}',
    reserved_concurrency INTEGER,
    recursive_loop TEXT NOT NULL DEFAULT 'Terminate',
    busy_kind TEXT,
    busy_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_versions (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    version TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, version)
  ) WITHOUT ROWID;
  CREATE INDEX lambda_versions_list ON lambda_versions (account_id, region, name, seq);
  CREATE TABLE lambda_aliases (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, alias)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_policies (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL,
    doc TEXT NOT NULL, revision_id TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, qualifier)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_settings (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, qualifier TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, kind, qualifier)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_urls (
    account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL,
    url_id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, qualifier)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_layers (
    account_id TEXT NOT NULL, region TEXT NOT NULL, layer_name TEXT NOT NULL,
    next_version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, region, layer_name)
  ) WITHOUT ROWID;
  CREATE TABLE lambda_layer_versions (
    account_id TEXT NOT NULL, region TEXT NOT NULL, layer_name TEXT NOT NULL, version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    policy TEXT,
    PRIMARY KEY (account_id, region, layer_name, version)
  ) WITHOUT ROWID;
  `,
];

export type SettingKind = 'event-invoke' | 'provisioned' | 'runtime-management';

export class LambdaStore {
  private readonly s;
  /**
   * Raised by every statement that writes (before it runs): whatever was read and derived at one
   * generation is still what the tables say while the generation is unchanged. Lets hot reads
   * (Invoke's function resolution, ListFunctions pages) skip SQLite and JSON parsing.
   */
  generation = 0;

  constructor(readonly db: Db) {
    migrate(db, 'lambda', MIGRATIONS);
    const p = (sql: string) => {
      const st = db.prepare(sql);
      if (/^\s*SELECT\b/i.test(sql)) return st;
      const bump = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
        this.generation++;
        return f(...a);
      };
      return { run: bump(st.run.bind(st)), get: bump(st.get.bind(st)), all: bump(st.all.bind(st)) } as unknown as typeof st;
    };
    this.s = {
      getFn: p('SELECT * FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?'),
      insertFn: p('INSERT INTO lambda_functions (account_id, region, name, tags, busy_kind, busy_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setBusy: p('UPDATE lambda_functions SET busy_kind = ?, busy_until = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setTags: p('UPDATE lambda_functions SET tags = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setReserved: p('UPDATE lambda_functions SET reserved_concurrency = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setRecursion: p('UPDATE lambda_functions SET recursive_loop = ? WHERE account_id = ? AND region = ? AND name = ?'),
      bumpVersion: p('UPDATE lambda_functions SET next_version = next_version + 1 WHERE account_id = ? AND region = ? AND name = ?'),
      sumReserved: p('SELECT COALESCE(SUM(reserved_concurrency), 0) AS total FROM lambda_functions WHERE account_id = ? AND region = ? AND name != ?'),
      countFns: p('SELECT COUNT(*) AS n FROM lambda_functions WHERE account_id = ? AND region = ?'),
      deleteFn: p('DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?'),

      getVersion: p('SELECT doc FROM lambda_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?'),
      putVersion: p('INSERT INTO lambda_versions (account_id, region, name, version, seq, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name, version) DO UPDATE SET doc = excluded.doc'),
      listVersions: p('SELECT version, doc FROM lambda_versions WHERE account_id = ? AND region = ? AND name = ? ORDER BY seq'),
      lastPublished: p('SELECT doc FROM lambda_versions WHERE account_id = ? AND region = ? AND name = ? AND seq > 0 ORDER BY seq DESC LIMIT 1'),
      deleteVersion: p('DELETE FROM lambda_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?'),
      deleteVersions: p('DELETE FROM lambda_versions WHERE account_id = ? AND region = ? AND name = ?'),
      pageLatest: p("SELECT doc FROM lambda_versions WHERE account_id = ? AND region = ? AND version = '$LATEST' AND name > ? ORDER BY name LIMIT ?"),
      pageLatestBusy: p(
        "SELECT v.name AS name, v.doc AS doc, f.busy_kind AS busy_kind FROM lambda_versions v LEFT JOIN lambda_functions f ON f.account_id = v.account_id AND f.region = v.region AND f.name = v.name WHERE v.account_id = ? AND v.region = ? AND v.version = '$LATEST' AND v.name > ? ORDER BY v.name LIMIT ?",
      ),
      pageAll: p('SELECT name, seq, doc FROM lambda_versions WHERE account_id = ? AND region = ? AND (name > ? OR (name = ? AND seq > ?)) ORDER BY name, seq LIMIT ?'),
      codeTotal: p('SELECT doc FROM lambda_versions WHERE account_id = ? AND region = ?'),

      getAlias: p('SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? AND name = ? AND alias = ?'),
      putAlias: p('INSERT INTO lambda_aliases (account_id, region, name, alias, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name, alias) DO UPDATE SET doc = excluded.doc'),
      listAliases: p('SELECT doc FROM lambda_aliases WHERE account_id = ? AND region = ? AND name = ? ORDER BY alias'),
      deleteAlias: p('DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND name = ? AND alias = ?'),
      deleteAliases: p('DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND name = ?'),

      getPolicy: p('SELECT doc, revision_id FROM lambda_policies WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?'),
      putPolicy: p('INSERT INTO lambda_policies (account_id, region, name, qualifier, doc, revision_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name, qualifier) DO UPDATE SET doc = excluded.doc, revision_id = excluded.revision_id'),
      deletePolicy: p('DELETE FROM lambda_policies WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?'),
      deletePolicies: p('DELETE FROM lambda_policies WHERE account_id = ? AND region = ? AND name = ?'),

      getSetting: p('SELECT doc FROM lambda_settings WHERE account_id = ? AND region = ? AND name = ? AND kind = ? AND qualifier = ?'),
      putSetting: p('INSERT INTO lambda_settings (account_id, region, name, kind, qualifier, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name, kind, qualifier) DO UPDATE SET doc = excluded.doc'),
      listSettings: p('SELECT qualifier, doc FROM lambda_settings WHERE account_id = ? AND region = ? AND name = ? AND kind = ? ORDER BY qualifier'),
      deleteSetting: p('DELETE FROM lambda_settings WHERE account_id = ? AND region = ? AND name = ? AND kind = ? AND qualifier = ?'),
      deleteSettingsOfQualifier: p('DELETE FROM lambda_settings WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?'),
      deleteSettings: p('DELETE FROM lambda_settings WHERE account_id = ? AND region = ? AND name = ?'),

      getUrl: p('SELECT url_id, doc FROM lambda_urls WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?'),
      getUrlById: p('SELECT account_id, region, name, qualifier, doc FROM lambda_urls WHERE url_id = ?'),
      putUrl: p('INSERT INTO lambda_urls (account_id, region, name, qualifier, url_id, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name, qualifier) DO UPDATE SET doc = excluded.doc'),
      listUrls: p('SELECT doc FROM lambda_urls WHERE account_id = ? AND region = ? AND name = ? ORDER BY qualifier'),
      deleteUrl: p('DELETE FROM lambda_urls WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?'),
      deleteUrls: p('DELETE FROM lambda_urls WHERE account_id = ? AND region = ? AND name = ?'),

      getLayer: p('SELECT next_version FROM lambda_layers WHERE account_id = ? AND region = ? AND layer_name = ?'),
      upsertLayer: p('INSERT INTO lambda_layers (account_id, region, layer_name, next_version) VALUES (?, ?, ?, 2) ON CONFLICT (account_id, region, layer_name) DO UPDATE SET next_version = next_version + 1 RETURNING next_version - 1 AS version'),
      getLayerVersion: p('SELECT doc, policy FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND layer_name = ? AND version = ?'),
      putLayerVersion: p('INSERT INTO lambda_layer_versions (account_id, region, layer_name, version, doc) VALUES (?, ?, ?, ?, ?)'),
      setLayerPolicy: p('UPDATE lambda_layer_versions SET policy = ? WHERE account_id = ? AND region = ? AND layer_name = ? AND version = ?'),
      listLayerVersions: p('SELECT version, doc FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND layer_name = ? ORDER BY version DESC'),
      listLayerNames: p('SELECT DISTINCT layer_name FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND layer_name > ? ORDER BY layer_name LIMIT ?'),
      deleteLayerVersion: p('DELETE FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND layer_name = ? AND version = ?'),
    };
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getFunction(a: string, r: string, name: string): FunctionRow | undefined {
    return this.s.getFn.get(a, r, name) as FunctionRow | undefined;
  }
  insertFunction(a: string, r: string, name: string, tags: Record<string, string>, busyUntil: number, now: number): void {
    this.s.insertFn.run(a, r, name, JSON.stringify(tags), 'create', busyUntil, now);
  }
  setBusy(a: string, r: string, name: string, kind: string | null, until: number): void {
    this.s.setBusy.run(kind, until, a, r, name);
  }
  setTags(a: string, r: string, name: string, tags: Record<string, string>): void {
    this.s.setTags.run(JSON.stringify(tags), a, r, name);
  }
  setReservedConcurrency(a: string, r: string, name: string, n: number | null): void {
    this.s.setReserved.run(n, a, r, name);
  }
  setRecursion(a: string, r: string, name: string, v: string): void {
    this.s.setRecursion.run(v, a, r, name);
  }
  takeVersionNumber(a: string, r: string, name: string): number {
    const n = this.getFunction(a, r, name)!.next_version;
    this.s.bumpVersion.run(a, r, name);
    return n;
  }
  reservedElsewhere(a: string, r: string, exceptName: string): number {
    return (this.s.sumReserved.get(a, r, exceptName) as { total: number }).total;
  }
  countFunctions(a: string, r: string): number {
    return (this.s.countFns.get(a, r) as { n: number }).n;
  }
  totalCodeSize(a: string, r: string): number {
    let total = 0;
    for (const row of this.s.codeTotal.all(a, r) as { doc: string }[]) total += (JSON.parse(row.doc) as StoredVersion).config.CodeSize ?? 0;
    return total;
  }

  getVersion(a: string, r: string, name: string, version: string): StoredVersion | undefined {
    const row = this.s.getVersion.get(a, r, name, version) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }
  putVersion(a: string, r: string, name: string, version: string, doc: StoredVersion): void {
    this.s.putVersion.run(a, r, name, version, version === LATEST ? 0 : Number(version), JSON.stringify(doc));
  }
  listVersions(a: string, r: string, name: string): StoredVersion[] {
    return (this.s.listVersions.all(a, r, name) as { doc: string }[]).map((x) => JSON.parse(x.doc));
  }
  lastPublished(a: string, r: string, name: string): StoredVersion | undefined {
    const row = this.s.lastPublished.get(a, r, name) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }
  deleteVersion(a: string, r: string, name: string, version: string): void {
    this.s.deleteVersion.run(a, r, name, version);
    this.s.deletePolicy.run(a, r, name, version);
    this.s.deleteSettingsOfQualifier.run(a, r, name, version);
  }
  /** One page of $LATEST configurations in name order, after `afterName`. */
  pageLatest(a: string, r: string, afterName: string, limit: number): StoredVersion[] {
    return (this.s.pageLatest.all(a, r, afterName, limit) as { doc: string }[]).map((x) => JSON.parse(x.doc));
  }
  /** As pageLatest, with each function's in-flight state (busy_kind), in one query. */
  pageLatestWithBusy(a: string, r: string, afterName: string, limit: number): { name: string; doc: StoredVersion; busyKind: string | null }[] {
    return (this.s.pageLatestBusy.all(a, r, afterName, limit) as { name: string; doc: string; busy_kind: string | null }[]).map((x) => ({ name: x.name, doc: JSON.parse(x.doc), busyKind: x.busy_kind }));
  }
  /** One page of every version ($LATEST first within a function), after (name, seq). */
  pageAll(a: string, r: string, afterName: string, afterSeq: number, limit: number): { name: string; seq: number; doc: StoredVersion }[] {
    return (this.s.pageAll.all(a, r, afterName, afterName, afterSeq, limit) as { name: string; seq: number; doc: string }[]).map((x) => ({ name: x.name, seq: x.seq, doc: JSON.parse(x.doc) }));
  }

  deleteFunction(a: string, r: string, name: string): void {
    for (const st of [this.s.deleteVersions, this.s.deleteAliases, this.s.deletePolicies, this.s.deleteSettings, this.s.deleteUrls, this.s.deleteFn]) st.run(a, r, name);
  }

  getAlias<T>(a: string, r: string, name: string, alias: string): T | undefined {
    const row = this.s.getAlias.get(a, r, name, alias) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }
  putAlias(a: string, r: string, name: string, alias: string, doc: object): void {
    this.s.putAlias.run(a, r, name, alias, JSON.stringify(doc));
  }
  listAliases<T>(a: string, r: string, name: string): T[] {
    return (this.s.listAliases.all(a, r, name) as { doc: string }[]).map((x) => JSON.parse(x.doc));
  }
  deleteAlias(a: string, r: string, name: string, alias: string): void {
    this.s.deleteAlias.run(a, r, name, alias);
    this.s.deletePolicy.run(a, r, name, alias);
    this.s.deleteSettingsOfQualifier.run(a, r, name, alias);
    this.s.deleteUrl.run(a, r, name, alias);
  }

  getPolicy(a: string, r: string, name: string, qualifier: string): { doc: PolicyDocument; revisionId: string } | undefined {
    const row = this.s.getPolicy.get(a, r, name, qualifier) as { doc: string; revision_id: string } | undefined;
    return row && { doc: JSON.parse(row.doc), revisionId: row.revision_id };
  }
  putPolicy(a: string, r: string, name: string, qualifier: string, doc: PolicyDocument, revisionId: string): void {
    if (doc.Statement.length === 0) this.s.deletePolicy.run(a, r, name, qualifier);
    else this.s.putPolicy.run(a, r, name, qualifier, JSON.stringify(doc), revisionId);
  }

  getSetting<T>(a: string, r: string, name: string, kind: SettingKind, qualifier: string): T | undefined {
    const row = this.s.getSetting.get(a, r, name, kind, qualifier) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }
  putSetting(a: string, r: string, name: string, kind: SettingKind, qualifier: string, doc: object): void {
    this.s.putSetting.run(a, r, name, kind, qualifier, JSON.stringify(doc));
  }
  listSettings<T>(a: string, r: string, name: string, kind: SettingKind): { qualifier: string; doc: T }[] {
    return (this.s.listSettings.all(a, r, name, kind) as { qualifier: string; doc: string }[]).map((x) => ({ qualifier: x.qualifier, doc: JSON.parse(x.doc) }));
  }
  deleteSetting(a: string, r: string, name: string, kind: SettingKind, qualifier: string): boolean {
    return this.s.deleteSetting.run(a, r, name, kind, qualifier).changes > 0;
  }

  getUrl<T>(a: string, r: string, name: string, qualifier: string): { urlId: string; doc: T } | undefined {
    const row = this.s.getUrl.get(a, r, name, qualifier) as { url_id: string; doc: string } | undefined;
    return row && { urlId: row.url_id, doc: JSON.parse(row.doc) };
  }
  getUrlById<T>(urlId: string): { accountId: string; region: string; name: string; qualifier: string; doc: T } | undefined {
    const row = this.s.getUrlById.get(urlId) as { account_id: string; region: string; name: string; qualifier: string; doc: string } | undefined;
    return row && { accountId: row.account_id, region: row.region, name: row.name, qualifier: row.qualifier, doc: JSON.parse(row.doc) };
  }
  putUrl(a: string, r: string, name: string, qualifier: string, urlId: string, doc: object): void {
    this.s.putUrl.run(a, r, name, qualifier, urlId, JSON.stringify(doc));
  }
  listUrls<T>(a: string, r: string, name: string): T[] {
    return (this.s.listUrls.all(a, r, name) as { doc: string }[]).map((x) => JSON.parse(x.doc));
  }
  deleteUrl(a: string, r: string, name: string, qualifier: string): boolean {
    return this.s.deleteUrl.run(a, r, name, qualifier).changes > 0;
  }

  /** Layer version numbers are never reused, even after a version is deleted (as on AWS). */
  nextLayerVersion(a: string, r: string, layer: string): number {
    return (this.s.upsertLayer.get(a, r, layer) as { version: number }).version;
  }
  getLayerVersion<T>(a: string, r: string, layer: string, version: number): { doc: T; policy?: PolicyDocument } | undefined {
    const row = this.s.getLayerVersion.get(a, r, layer, version) as { doc: string; policy: string | null } | undefined;
    return row && { doc: JSON.parse(row.doc), policy: row.policy ? JSON.parse(row.policy) : undefined };
  }
  putLayerVersion(a: string, r: string, layer: string, version: number, doc: object): void {
    this.s.putLayerVersion.run(a, r, layer, version, JSON.stringify(doc));
  }
  setLayerPolicy(a: string, r: string, layer: string, version: number, policy: PolicyDocument | undefined): void {
    this.s.setLayerPolicy.run(policy && policy.Statement.length ? JSON.stringify(policy) : null, a, r, layer, version);
  }
  listLayerVersions<T>(a: string, r: string, layer: string): T[] {
    return (this.s.listLayerVersions.all(a, r, layer) as { doc: string }[]).map((x) => JSON.parse(x.doc));
  }
  listLayerNames(a: string, r: string, after: string, limit: number): string[] {
    return (this.s.listLayerNames.all(a, r, after, limit) as { layer_name: string }[]).map((x) => x.layer_name);
  }
  deleteLayerVersion(a: string, r: string, layer: string, version: number): void {
    this.s.deleteLayerVersion.run(a, r, layer, version);
  }
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: unknown;
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}
export interface PolicyDocument {
  Version: '2012-10-17';
  Id: 'default';
  Statement: PolicyStatement[];
}
