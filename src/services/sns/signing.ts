// Message signing. AWS signs every notification and confirmation with a key whose certificate
// it serves at SigningCertURL; Nimbus does the same with a key of its own (generated once and
// kept in the database), so application code that verifies signatures runs unchanged apart from
// the certificate host check (AWS SDK validators insist on sns.<region>.amazonaws.com).
//   https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
import crypto from 'node:crypto';
import forge from 'node-forge';
import type { Db } from '../../store/db.js';

/** The string AWS signs: "Key\nValue\n" for each present field, in this order. */
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

export function stringToSign(message: Record<string, unknown>): string {
  const isNotification = message.Type === 'Notification';
  let out = '';
  for (const key of NOTIFICATION_FIELDS) {
    if (isNotification && (key === 'SubscribeURL' || key === 'Token')) continue;
    if (!isNotification && key === 'Subject') continue;
    const value = message[key];
    if (value === undefined || value === null) continue;
    out += `${key}\n${value}\n`;
  }
  return out;
}

export class SnsSigner {
  private material?: { key: crypto.KeyObject; certPem: string; certId: string };

  constructor(private readonly db: Db) {}

  /** The certificate's file name under /_nimbus/sns/, stable for the life of the data dir. */
  certFileName(): string {
    return `SimpleNotificationService-${this.load().certId}.pem`;
  }

  certificatePem(): string {
    return this.load().certPem;
  }

  /** SignatureVersion 1: SHA1withRSA; 2: SHA256withRSA. */
  sign(message: Record<string, unknown>, version: string): string {
    const algorithm = version === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
    return crypto.sign(algorithm, Buffer.from(stringToSign(message), 'utf8'), this.load().key).toString('base64');
  }

  private load(): { key: crypto.KeyObject; certPem: string; certId: string } {
    if (this.material) return this.material;
    let row = this.db.prepare("SELECT key_pem, cert_pem FROM sns_signing WHERE account_id = '*' AND region = '*'").get() as
      | { key_pem: string; cert_pem: string }
      | undefined;
    if (!row) {
      row = generate();
      this.db.prepare("INSERT OR IGNORE INTO sns_signing (account_id, region, key_pem, cert_pem) VALUES ('*', '*', ?, ?)").run(row.key_pem, row.cert_pem);
    }
    const certId = crypto.createHash('sha256').update(row.cert_pem).digest('hex').slice(0, 32);
    this.material = { key: crypto.createPrivateKey(row.key_pem), certPem: row.cert_pem, certId };
    return this.material;
  }
}

function generate(): { key_pem: string; cert_pem: string } {
  // Node generates the RSA key natively (fast); node-forge only wraps it in a certificate.
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + crypto.randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 20 * 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: 'sns.amazonaws.com' }, { name: 'organizationName', value: 'Nimbus local AWS emulator' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key_pem: keyPem, cert_pem: forge.pki.certificateToPem(cert) };
}
