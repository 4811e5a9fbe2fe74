// IAM as stored resources: roles, inline role policies, managed policies with versions, and
// attachments, with IAM's responses and errors. Nothing is enforced: Nimbus authorises every
// signed request, as the issue asks; IAM exists so tooling that creates roles for Lambda works.
// IAM is global: everything is stored per account under the region 'global'.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';
import type { ServiceDeps } from '../types.js';
import type * as I from '../../generated/iam.js';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  InvalidInputException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
} from '../../generated/iam.js';

const REGION = 'global';

const MIGRATIONS = [
  `
  CREATE TABLE iam_roles (
    account_id TEXT NOT NULL, region TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name_key)
  ) WITHOUT ROWID;
  CREATE TABLE iam_role_policies (
    account_id TEXT NOT NULL, region TEXT NOT NULL, role_key TEXT NOT NULL, policy_name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (account_id, region, role_key, policy_name)
  ) WITHOUT ROWID;
  CREATE TABLE iam_policies (
    account_id TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,
    name_key TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, region, arn)
  ) WITHOUT ROWID;
  CREATE TABLE iam_attachments (
    account_id TEXT NOT NULL, region TEXT NOT NULL, role_key TEXT NOT NULL, policy_arn TEXT NOT NULL,
    policy_name TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, role_key, policy_arn)
  ) WITHOUT ROWID;
  CREATE INDEX iam_attachments_by_policy ON iam_attachments (account_id, region, policy_arn);
  `,
];

interface StoredRole {
  Path: string;
  RoleName: string;
  RoleId: string;
  Arn: string;
  CreateDate: number;
  /** kept exactly as given; URL-encoded only in responses, as IAM returns it */
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundary?: string;
  Tags: I.Tag[];
}

interface StoredPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  DefaultVersionId: string;
  Description?: string;
  CreateDate: number;
  UpdateDate: number;
  Tags: I.Tag[];
  nextVersion: number;
  versions: { VersionId: string; Document: string; CreateDate: number }[];
}

/** IAM returns policy documents URL-encoded (RFC 3986), as the IAM API reference notes. */
const encodePolicy = (doc: string) => encodeURIComponent(doc);

/** IAM ids: a type prefix and 17 upper-case letters and digits (AROA... for roles, ANPA... for policies). */
function iamId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = crypto.randomBytes(17);
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function checkPolicyJson(doc: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw new MalformedPolicyDocumentException('This policy contains invalid Json');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedPolicyDocumentException('This policy contains invalid Json');
  if (!('Statement' in parsed)) throw new MalformedPolicyDocumentException('Syntax errors in policy.');
}

function checkPath(path: string | undefined): string {
  const p = path ?? '/';
  if (!p.startsWith('/') || !p.endsWith('/')) throw new InvalidInputException(`The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  return p;
}

/** Marker pagination over a list already in IAM's order; `paging` holds the response's IsTruncated and Marker members. */
function page<T>(all: T[], marker: string | undefined, maxItems: number | undefined): { items: T[]; paging: { IsTruncated: boolean; Marker?: string } } {
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new InvalidInputException('Invalid Marker.');
  const limit = maxItems ?? 100;
  const items = all.slice(start, start + limit);
  const truncated = start + limit < all.length;
  return { items, paging: { IsTruncated: truncated, ...(truncated ? { Marker: Buffer.from(String(start + limit)).toString('base64url') } : {}) } };
}

export class IamProvider {
  private readonly db: Db;

  constructor(private readonly deps: ServiceDeps) {
    this.db = deps.db;
    migrate(this.db, 'iam', MIGRATIONS);
  }

  private now(): number {
    return this.deps.clock.now();
  }

  // ---------------------------------------------------------------- roles

  private roleRow(accountId: string, name: string): StoredRole | undefined {
    const row = this.db.prepare('SELECT doc FROM iam_roles WHERE account_id = ? AND region = ? AND name_key = ?').get(accountId, REGION, name.toLowerCase()) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }

  private role(ctx: RequestContext, name: string): StoredRole {
    const r = this.roleRow(ctx.accountId, name);
    if (!r) throw new NoSuchEntityException(`The role with name ${name} cannot be found.`);
    return r;
  }

  private saveRole(accountId: string, r: StoredRole): void {
    this.db
      .prepare('INSERT INTO iam_roles (account_id, region, name_key, path, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, region, name_key) DO UPDATE SET doc = excluded.doc, path = excluded.path')
      .run(accountId, REGION, r.RoleName.toLowerCase(), r.Path, JSON.stringify(r));
  }

  private roleOut(r: StoredRole, full: boolean, lastUsed = full): I.Role {
    return {
      Path: r.Path,
      RoleName: r.RoleName,
      RoleId: r.RoleId,
      Arn: r.Arn,
      CreateDate: new Date(r.CreateDate),
      AssumeRolePolicyDocument: encodePolicy(r.AssumeRolePolicyDocument),
      ...(r.Description !== undefined ? { Description: r.Description } : {}),
      MaxSessionDuration: r.MaxSessionDuration,
      ...(r.PermissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: r.PermissionsBoundary } } : {}),
      // ListRoles omits tags and last-use details; GetRole includes them.
      ...(full && r.Tags.length ? { Tags: r.Tags } : {}),
      ...(lastUsed ? { RoleLastUsed: {} } : {}),
    };
  }

  CreateRole(input: I.CreateRoleRequest, ctx: RequestContext): I.CreateRoleResponse {
    const path = checkPath(input.Path);
    checkPolicyJson(input.AssumeRolePolicyDocument);
    if (this.roleRow(ctx.accountId, input.RoleName)) throw new EntityAlreadyExistsException(`Role with name ${input.RoleName} already exists.`);
    checkTags(input.Tags);
    const r: StoredRole = {
      Path: path,
      RoleName: input.RoleName,
      RoleId: iamId('AROA'),
      Arn: `arn:${ctx.partition}:iam::${ctx.accountId}:role${path}${input.RoleName}`,
      CreateDate: this.now(),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      MaxSessionDuration: input.MaxSessionDuration ?? 3600,
      ...(input.PermissionsBoundary ? { PermissionsBoundary: input.PermissionsBoundary } : {}),
      Tags: input.Tags ?? [],
    };
    this.saveRole(ctx.accountId, r);
    return { Role: this.roleOut(r, true, false) };
  }

  GetRole(input: I.GetRoleRequest, ctx: RequestContext): I.GetRoleResponse {
    return { Role: this.roleOut(this.role(ctx, input.RoleName), true) };
  }

  ListRoles(input: I.ListRolesRequest, ctx: RequestContext): I.ListRolesResponse {
    const prefix = input.PathPrefix ?? '/';
    const rows = this.db.prepare('SELECT doc FROM iam_roles WHERE account_id = ? AND region = ? ORDER BY name_key').all(ctx.accountId, REGION) as { doc: string }[];
    const all = rows.map((x) => JSON.parse(x.doc) as StoredRole).filter((r) => r.Path.startsWith(prefix));
    const p = page(all, input.Marker, input.MaxItems);
    return { Roles: p.items.map((r) => this.roleOut(r, false)), ...p.paging };
  }

  UpdateRole(input: I.UpdateRoleRequest, ctx: RequestContext): I.UpdateRoleResponse {
    const r = this.role(ctx, input.RoleName);
    if (input.Description !== undefined) r.Description = input.Description;
    if (input.MaxSessionDuration !== undefined) r.MaxSessionDuration = input.MaxSessionDuration;
    this.saveRole(ctx.accountId, r);
    return {};
  }

  UpdateRoleDescription(input: I.UpdateRoleDescriptionRequest, ctx: RequestContext): I.UpdateRoleDescriptionResponse {
    const r = this.role(ctx, input.RoleName);
    r.Description = input.Description;
    this.saveRole(ctx.accountId, r);
    return { Role: this.roleOut(r, true) };
  }

  UpdateAssumeRolePolicy(input: I.UpdateAssumeRolePolicyRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    checkPolicyJson(input.PolicyDocument);
    r.AssumeRolePolicyDocument = input.PolicyDocument;
    this.saveRole(ctx.accountId, r);
  }

  DeleteRole(input: I.DeleteRoleRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    const key = r.RoleName.toLowerCase();
    const attached = this.db.prepare('SELECT 1 FROM iam_attachments WHERE account_id = ? AND region = ? AND role_key = ? LIMIT 1').get(ctx.accountId, REGION, key);
    if (attached) throw new DeleteConflictException('Cannot delete entity, must detach all policies first.');
    const inline = this.db.prepare('SELECT 1 FROM iam_role_policies WHERE account_id = ? AND region = ? AND role_key = ? LIMIT 1').get(ctx.accountId, REGION, key);
    if (inline) throw new DeleteConflictException('Cannot delete entity, must delete policies first.');
    this.db.prepare('DELETE FROM iam_roles WHERE account_id = ? AND region = ? AND name_key = ?').run(ctx.accountId, REGION, key);
  }

  TagRole(input: I.TagRoleRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    r.Tags = mergeTags(r.Tags, input.Tags);
    this.saveRole(ctx.accountId, r);
  }

  UntagRole(input: I.UntagRoleRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    r.Tags = r.Tags.filter((t) => !input.TagKeys.includes(t.Key));
    this.saveRole(ctx.accountId, r);
  }

  ListRoleTags(input: I.ListRoleTagsRequest, ctx: RequestContext): I.ListRoleTagsResponse {
    const p = page(this.role(ctx, input.RoleName).Tags, input.Marker, input.MaxItems);
    return { Tags: p.items, ...p.paging };
  }

  // ---------------------------------------------------------------- inline role policies

  PutRolePolicy(input: I.PutRolePolicyRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    checkPolicyJson(input.PolicyDocument);
    this.db
      .prepare('INSERT INTO iam_role_policies (account_id, region, role_key, policy_name, document) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, region, role_key, policy_name) DO UPDATE SET document = excluded.document')
      .run(ctx.accountId, REGION, r.RoleName.toLowerCase(), input.PolicyName, input.PolicyDocument);
  }

  GetRolePolicy(input: I.GetRolePolicyRequest, ctx: RequestContext): I.GetRolePolicyResponse {
    const r = this.role(ctx, input.RoleName);
    const row = this.db.prepare('SELECT document FROM iam_role_policies WHERE account_id = ? AND region = ? AND role_key = ? AND policy_name = ?').get(ctx.accountId, REGION, r.RoleName.toLowerCase(), input.PolicyName) as
      | { document: string }
      | undefined;
    if (!row) throw new NoSuchEntityException(`The role policy with name ${input.PolicyName} cannot be found.`);
    return { RoleName: r.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodePolicy(row.document) };
  }

  ListRolePolicies(input: I.ListRolePoliciesRequest, ctx: RequestContext): I.ListRolePoliciesResponse {
    const r = this.role(ctx, input.RoleName);
    const names = (this.db.prepare('SELECT policy_name FROM iam_role_policies WHERE account_id = ? AND region = ? AND role_key = ? ORDER BY policy_name').all(ctx.accountId, REGION, r.RoleName.toLowerCase()) as { policy_name: string }[]).map((x) => x.policy_name);
    const p = page(names, input.Marker, input.MaxItems);
    return { PolicyNames: p.items, ...p.paging };
  }

  DeleteRolePolicy(input: I.DeleteRolePolicyRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    const res = this.db.prepare('DELETE FROM iam_role_policies WHERE account_id = ? AND region = ? AND role_key = ? AND policy_name = ?').run(ctx.accountId, REGION, r.RoleName.toLowerCase(), input.PolicyName);
    if (!res.changes) throw new NoSuchEntityException(`The role policy with name ${input.PolicyName} cannot be found.`);
  }

  // ---------------------------------------------------------------- managed policies

  private policyRow(accountId: string, arn: string): StoredPolicy | undefined {
    const row = this.db.prepare('SELECT doc FROM iam_policies WHERE account_id = ? AND region = ? AND arn = ?').get(accountId, REGION, arn) as { doc: string } | undefined;
    return row && JSON.parse(row.doc);
  }

  private policy(ctx: RequestContext, arn: string): StoredPolicy {
    const p = this.policyRow(ctx.accountId, arn) ?? awsManaged(arn);
    if (!p) throw new NoSuchEntityException(`Policy ${arn} was not found.`);
    return p;
  }

  private savePolicy(accountId: string, p: StoredPolicy): void {
    this.db
      .prepare('INSERT INTO iam_policies (account_id, region, arn, name_key, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, region, arn) DO UPDATE SET doc = excluded.doc')
      .run(accountId, REGION, p.Arn, p.PolicyName.toLowerCase(), JSON.stringify(p));
  }

  private attachmentCount(accountId: string, arn: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM iam_attachments WHERE account_id = ? AND region = ? AND policy_arn = ?').get(accountId, REGION, arn) as { n: number }).n;
  }

  private policyOut(accountId: string, p: StoredPolicy, withTags: boolean): I.Policy {
    return {
      PolicyName: p.PolicyName,
      PolicyId: p.PolicyId,
      Arn: p.Arn,
      Path: p.Path,
      DefaultVersionId: p.DefaultVersionId,
      AttachmentCount: this.attachmentCount(accountId, p.Arn),
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
      ...(p.Description !== undefined && withTags ? { Description: p.Description } : {}),
      CreateDate: new Date(p.CreateDate),
      UpdateDate: new Date(p.UpdateDate),
      ...(withTags && p.Tags.length ? { Tags: p.Tags } : {}),
    };
  }

  CreatePolicy(input: I.CreatePolicyRequest, ctx: RequestContext): I.CreatePolicyResponse {
    const path = checkPath(input.Path);
    checkPolicyJson(input.PolicyDocument);
    checkTags(input.Tags);
    const arn = `arn:${ctx.partition}:iam::${ctx.accountId}:policy${path}${input.PolicyName}`;
    const clash = this.db.prepare('SELECT 1 FROM iam_policies WHERE account_id = ? AND region = ? AND name_key = ?').get(ctx.accountId, REGION, input.PolicyName.toLowerCase());
    if (clash) throw new EntityAlreadyExistsException(`A policy called ${input.PolicyName} already exists. Duplicate names are not allowed.`);
    const now = this.now();
    const p: StoredPolicy = {
      PolicyName: input.PolicyName,
      PolicyId: iamId('ANPA'),
      Arn: arn,
      Path: path,
      DefaultVersionId: 'v1',
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      CreateDate: now,
      UpdateDate: now,
      Tags: input.Tags ?? [],
      nextVersion: 2,
      versions: [{ VersionId: 'v1', Document: input.PolicyDocument, CreateDate: now }],
    };
    this.savePolicy(ctx.accountId, p);
    return { Policy: this.policyOut(ctx.accountId, p, true) };
  }

  GetPolicy(input: I.GetPolicyRequest, ctx: RequestContext): I.GetPolicyResponse {
    return { Policy: this.policyOut(ctx.accountId, this.policy(ctx, input.PolicyArn), true) };
  }

  ListPolicies(input: I.ListPoliciesRequest, ctx: RequestContext): I.ListPoliciesResponse {
    const scope = input.Scope ?? 'All';
    const prefix = input.PathPrefix ?? '/';
    const local = scope === 'AWS' ? [] : (this.db.prepare('SELECT doc FROM iam_policies WHERE account_id = ? AND region = ? ORDER BY name_key').all(ctx.accountId, REGION) as { doc: string }[]).map((x) => JSON.parse(x.doc) as StoredPolicy);
    const managed = scope === 'Local' ? [] : AWS_MANAGED.map((a) => awsManaged(a)!);
    let all = [...managed, ...local].filter((p) => p.Path.startsWith(prefix));
    if (input.OnlyAttached) all = all.filter((p) => this.attachmentCount(ctx.accountId, p.Arn) > 0);
    const pg = page(all, input.Marker, input.MaxItems);
    return { Policies: pg.items.map((p) => this.policyOut(ctx.accountId, p, false)), ...pg.paging };
  }

  DeletePolicy(input: I.DeletePolicyRequest, ctx: RequestContext): void {
    const p = this.policyRow(ctx.accountId, input.PolicyArn);
    if (!p) {
      if (awsManaged(input.PolicyArn)) throw new InvalidInputException(`Cannot delete an AWS managed policy.`);
      throw new NoSuchEntityException(`Policy ${input.PolicyArn} was not found.`);
    }
    if (this.attachmentCount(ctx.accountId, p.Arn) > 0) throw new DeleteConflictException('Cannot delete a policy attached to entities.');
    if (p.versions.length > 1) throw new DeleteConflictException('This policy has more than one version. Before you delete a policy, you must delete the policy\'s versions. The default version is deleted with the policy.');
    this.db.prepare('DELETE FROM iam_policies WHERE account_id = ? AND region = ? AND arn = ?').run(ctx.accountId, REGION, p.Arn);
  }

  private localPolicy(ctx: RequestContext, arn: string): StoredPolicy {
    const p = this.policyRow(ctx.accountId, arn);
    if (!p) {
      if (awsManaged(arn)) throw new InvalidInputException('Cannot modify an AWS managed policy.');
      throw new NoSuchEntityException(`Policy ${arn} was not found.`);
    }
    return p;
  }

  CreatePolicyVersion(input: I.CreatePolicyVersionRequest, ctx: RequestContext): I.CreatePolicyVersionResponse {
    const p = this.localPolicy(ctx, input.PolicyArn);
    checkPolicyJson(input.PolicyDocument);
    if (p.versions.length >= 5) throw new LimitExceededException('A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
    const v = { VersionId: `v${p.nextVersion}`, Document: input.PolicyDocument, CreateDate: this.now() };
    p.nextVersion++;
    p.versions.push(v);
    if (input.SetAsDefault) p.DefaultVersionId = v.VersionId;
    p.UpdateDate = v.CreateDate;
    this.savePolicy(ctx.accountId, p);
    return { PolicyVersion: { VersionId: v.VersionId, IsDefaultVersion: p.DefaultVersionId === v.VersionId, CreateDate: new Date(v.CreateDate) } };
  }

  GetPolicyVersion(input: I.GetPolicyVersionRequest, ctx: RequestContext): I.GetPolicyVersionResponse {
    const p = this.policy(ctx, input.PolicyArn);
    const v = p.versions.find((x) => x.VersionId === input.VersionId);
    if (!v) throw new NoSuchEntityException(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
    return { PolicyVersion: { Document: encodePolicy(v.Document), VersionId: v.VersionId, IsDefaultVersion: v.VersionId === p.DefaultVersionId, CreateDate: new Date(v.CreateDate) } };
  }

  ListPolicyVersions(input: I.ListPolicyVersionsRequest, ctx: RequestContext): I.ListPolicyVersionsResponse {
    const p = this.policy(ctx, input.PolicyArn);
    const all = [...p.versions].reverse().map((v) => ({ VersionId: v.VersionId, IsDefaultVersion: v.VersionId === p.DefaultVersionId, CreateDate: new Date(v.CreateDate) }));
    const pg = page(all, input.Marker, input.MaxItems);
    return { Versions: pg.items, ...pg.paging };
  }

  DeletePolicyVersion(input: I.DeletePolicyVersionRequest, ctx: RequestContext): void {
    const p = this.localPolicy(ctx, input.PolicyArn);
    if (!p.versions.some((v) => v.VersionId === input.VersionId)) throw new NoSuchEntityException(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
    if (input.VersionId === p.DefaultVersionId) throw new DeleteConflictException('Cannot delete the default version of the policy.');
    p.versions = p.versions.filter((v) => v.VersionId !== input.VersionId);
    this.savePolicy(ctx.accountId, p);
  }

  SetDefaultPolicyVersion(input: I.SetDefaultPolicyVersionRequest, ctx: RequestContext): void {
    const p = this.localPolicy(ctx, input.PolicyArn);
    if (!p.versions.some((v) => v.VersionId === input.VersionId)) throw new NoSuchEntityException(`Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
    p.DefaultVersionId = input.VersionId;
    p.UpdateDate = this.now();
    this.savePolicy(ctx.accountId, p);
  }

  TagPolicy(input: I.TagPolicyRequest, ctx: RequestContext): void {
    const p = this.localPolicy(ctx, input.PolicyArn);
    p.Tags = mergeTags(p.Tags, input.Tags);
    this.savePolicy(ctx.accountId, p);
  }

  UntagPolicy(input: I.UntagPolicyRequest, ctx: RequestContext): void {
    const p = this.localPolicy(ctx, input.PolicyArn);
    p.Tags = p.Tags.filter((t) => !input.TagKeys.includes(t.Key));
    this.savePolicy(ctx.accountId, p);
  }

  ListPolicyTags(input: I.ListPolicyTagsRequest, ctx: RequestContext): I.ListPolicyTagsResponse {
    const pg = page(this.policy(ctx, input.PolicyArn).Tags, input.Marker, input.MaxItems);
    return { Tags: pg.items, ...pg.paging };
  }

  // ---------------------------------------------------------------- attachments

  AttachRolePolicy(input: I.AttachRolePolicyRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    const p = this.policyRow(ctx.accountId, input.PolicyArn) ?? awsManaged(input.PolicyArn);
    if (!p) throw new NoSuchEntityException(`Policy ${input.PolicyArn} does not exist or is not attachable.`);
    const key = r.RoleName.toLowerCase();
    const count = (this.db.prepare('SELECT COUNT(*) AS n FROM iam_attachments WHERE account_id = ? AND region = ? AND role_key = ?').get(ctx.accountId, REGION, key) as { n: number }).n;
    const already = this.db.prepare('SELECT 1 FROM iam_attachments WHERE account_id = ? AND region = ? AND role_key = ? AND policy_arn = ?').get(ctx.accountId, REGION, key, p.Arn);
    if (already) return;
    if (count >= 20) throw new LimitExceededException(`Cannot exceed quota for PoliciesPerRole: 20`);
    this.db.prepare('INSERT INTO iam_attachments (account_id, region, role_key, policy_arn, policy_name, seq) VALUES (?, ?, ?, ?, ?, ?)').run(ctx.accountId, REGION, key, p.Arn, p.PolicyName, this.now());
  }

  DetachRolePolicy(input: I.DetachRolePolicyRequest, ctx: RequestContext): void {
    const r = this.role(ctx, input.RoleName);
    const res = this.db.prepare('DELETE FROM iam_attachments WHERE account_id = ? AND region = ? AND role_key = ? AND policy_arn = ?').run(ctx.accountId, REGION, r.RoleName.toLowerCase(), input.PolicyArn);
    if (!res.changes) throw new NoSuchEntityException(`Policy ${input.PolicyArn} was not found.`);
  }

  ListAttachedRolePolicies(input: I.ListAttachedRolePoliciesRequest, ctx: RequestContext): I.ListAttachedRolePoliciesResponse {
    const r = this.role(ctx, input.RoleName);
    const rows = this.db.prepare('SELECT policy_arn, policy_name FROM iam_attachments WHERE account_id = ? AND region = ? AND role_key = ? ORDER BY seq, policy_arn').all(ctx.accountId, REGION, r.RoleName.toLowerCase()) as { policy_arn: string; policy_name: string }[];
    const prefix = input.PathPrefix ?? '/';
    const all = rows.filter((x) => policyPath(x.policy_arn).startsWith(prefix)).map((x) => ({ PolicyName: x.policy_name, PolicyArn: x.policy_arn }));
    const pg = page(all, input.Marker, input.MaxItems);
    return { AttachedPolicies: pg.items, ...pg.paging };
  }

  ListEntitiesForPolicy(input: I.ListEntitiesForPolicyRequest, ctx: RequestContext): I.ListEntitiesForPolicyResponse {
    this.policy(ctx, input.PolicyArn);
    const rows = this.db.prepare('SELECT role_key FROM iam_attachments WHERE account_id = ? AND region = ? AND policy_arn = ? ORDER BY role_key').all(ctx.accountId, REGION, input.PolicyArn) as { role_key: string }[];
    const roles = rows.map((x) => this.roleRow(ctx.accountId, x.role_key)).filter((r): r is StoredRole => !!r);
    return { PolicyGroups: [], PolicyUsers: [], PolicyRoles: roles.map((r) => ({ RoleName: r.RoleName, RoleId: r.RoleId })), IsTruncated: false };
  }
}

function policyPath(arn: string): string {
  const m = /:policy(\/.*\/)?[^/]+$/.exec(arn);
  return m?.[1] ?? '/';
}

function mergeTags(current: I.Tag[], add: I.Tag[]): I.Tag[] {
  const out = current.filter((t) => !add.some((a) => a.Key === t.Key));
  const merged = [...out, ...add];
  checkTags(merged);
  return merged;
}

function checkTags(tags: I.Tag[] | undefined): void {
  if (tags && tags.length > 50) throw new LimitExceededException('The number of tags has reached the maximum limit.');
}

/** A handful of AWS managed policies listed by ListPolicies; any arn:aws:iam::aws:policy/... is accepted on attach. */
const AWS_MANAGED = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  'arn:aws:iam::aws:policy/AWSLambda_FullAccess',
  'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  'arn:aws:iam::aws:policy/AmazonSQSFullAccess',
  'arn:aws:iam::aws:policy/AmazonSNSFullAccess',
  'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaRole',
];

function awsManaged(arn: string): StoredPolicy | undefined {
  const m = /^arn:aws[a-zA-Z-]*:iam::aws:policy(\/(?:[^/]+\/)*)?([^/]+)$/.exec(arn);
  if (!m) return undefined;
  const created = Date.UTC(2015, 1, 6, 18, 39, 46);
  const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  return {
    PolicyName: m[2],
    PolicyId: 'ANPA' + crypto.createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase(),
    Arn: arn,
    Path: m[1] ?? '/',
    DefaultVersionId: 'v1',
    CreateDate: created,
    UpdateDate: created,
    Tags: [],
    nextVersion: 2,
    versions: [{ VersionId: 'v1', Document: doc, CreateDate: created }],
  };
}
