// STS, the part local flows need: who am I, and temporary credentials for any role.
// Nothing is enforced (as with IAM in Nimbus): AssumeRole succeeds for any well-formed role ARN,
// and the keys it issues make later calls identify as that assumed role.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import { migrate } from '../../store/db.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../store/db.js';
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
  AssumeRoleWithWebIdentityRequest,
  AssumeRoleWithWebIdentityResponse,
  GetAccessKeyInfoRequest,
  GetAccessKeyInfoResponse,
  GetCallerIdentityResponse,
  GetSessionTokenRequest,
  GetSessionTokenResponse,
  StsApi,
} from '../../generated/sts.js';
import { ServiceError } from '../../core/errors.js';
import type { ServiceDeps, ValidationIssue } from '../types.js';
import { coralMessage } from '../../server/validation.js';

const MIGRATIONS = [
  `CREATE TABLE sts_sessions (
     access_key_id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     arn TEXT NOT NULL,
     user_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   )`,
];

const roleArnRe = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/;

function randomKey(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = prefix;
  for (const b of crypto.randomBytes(16)) s += alphabet[b % 32];
  return s;
}

function uniqueId(prefix: string): string {
  return randomKey(prefix).slice(0, 21);
}

export class StsProvider implements StsApi {
  private readonly selectSession;
  private readonly insertSession;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    migrate(db, 'sts', MIGRATIONS);
    this.selectSession = db.prepare('SELECT account_id, arn, user_id FROM sts_sessions WHERE access_key_id = ?');
    this.insertSession = db.prepare('INSERT INTO sts_sessions (access_key_id, account_id, arn, user_id, expires_at) VALUES (?, ?, ?, ?, ?)');
  }

  private session(accessKeyId: string | undefined) {
    if (!accessKeyId) return undefined;
    return this.selectSession.get(accessKeyId) as { account_id: string; arn: string; user_id: string } | undefined;
  }

  GetCallerIdentity(_input: unknown, ctx: RequestContext): GetCallerIdentityResponse {
    const s = this.session(ctx.accessKeyId);
    if (s) return { UserId: s.user_id, Account: s.account_id, Arn: s.arn };
    // Long-term keys identify as the account's root user, as AWS reports root credentials.
    return { UserId: ctx.accountId, Account: ctx.accountId, Arn: `arn:${ctx.partition}:iam::${ctx.accountId}:root` };
  }

  private issue(accountId: string, arn: string, userId: string, durationSeconds: number) {
    const AccessKeyId = randomKey('ASIA');
    const expiresAt = this.clock.now() + durationSeconds * 1000;
    this.insertSession.run(AccessKeyId, accountId, arn, userId, expiresAt);
    return {
      AccessKeyId,
      SecretAccessKey: crypto.randomBytes(30).toString('base64').slice(0, 40),
      SessionToken: crypto.randomBytes(96).toString('base64'),
      Expiration: new Date(Math.floor(expiresAt / 1000) * 1000),
    };
  }

  private assumed(roleArn: string, sessionName: string, durationSeconds: number | undefined, ctx: RequestContext) {
    const m = roleArnRe.exec(roleArn);
    if (!m) throw new ServiceError('ValidationError', `${roleArn} is invalid`);
    const [, account, roleName] = m;
    const roleId = uniqueId('AROA');
    const arn = `arn:${ctx.partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`;
    const duration = durationSeconds ?? 3600;
    return {
      Credentials: this.issue(account, arn, `${roleId}:${sessionName}`, duration),
      AssumedRoleUser: { AssumedRoleId: `${roleId}:${sessionName}`, Arn: arn },
      PackedPolicySize: 0,
    };
  }

  AssumeRole(input: AssumeRoleRequest, ctx: RequestContext): AssumeRoleResponse {
    return { ...this.assumed(input.RoleArn, input.RoleSessionName, input.DurationSeconds, ctx), SourceIdentity: input.SourceIdentity };
  }

  AssumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityRequest, ctx: RequestContext): AssumeRoleWithWebIdentityResponse {
    const r = this.assumed(input.RoleArn, input.RoleSessionName, input.DurationSeconds, ctx);
    return { ...r, SubjectFromWebIdentityToken: 'nimbus-subject', Audience: 'nimbus', Provider: input.ProviderId ?? 'nimbus' };
  }

  GetSessionToken(input: GetSessionTokenRequest, ctx: RequestContext): GetSessionTokenResponse {
    const caller = this.GetCallerIdentity({}, ctx);
    return { Credentials: this.issue(caller.Account!, caller.Arn!, caller.UserId!, input.DurationSeconds ?? 43200) };
  }

  GetAccessKeyInfo(input: GetAccessKeyInfoRequest, ctx: RequestContext): GetAccessKeyInfoResponse {
    const s = this.session(input.AccessKeyId);
    if (s) return { Account: s.account_id };
    return { Account: /^\d{12}$/.test(input.AccessKeyId) ? input.AccessKeyId : ctx.accountId };
  }
}

export function createProvider(deps: ServiceDeps): StsProvider {
  return new StsProvider(deps.db, deps.clock);
}

/** STS (a query service) names its constraint violations ValidationError, in Coral's words. */
export function validationError(issues: ValidationIssue[]): ServiceError {
  return new ServiceError('ValidationError', coralMessage(issues));
}
