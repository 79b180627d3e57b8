import { createHmac } from 'node:crypto';

const STANDARD_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key the Standard Webhooks scheme signs with. A `whsec_<base64>` secret (what Flagline generates) keys with
 * the decoded bytes, as Standard Webhooks libraries do with that secret as given. Any other secret (one chosen at
 * creation) keys with its UTF-8 bytes: verify with the library's raw-key option, or pass it `whsec_` + base64(secret).
 */
export function standardSigningKey(secret: string): Buffer {
  const encoded = secret.slice(STANDARD_PREFIX.length);
  if (secret.startsWith(STANDARD_PREFIX) && encoded.length > 0 && BASE64.test(encoded)) {
    return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/** `webhook-signature`: "v1," + base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" (Standard Webhooks). */
export function standardSignature(secret: string, id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', standardSigningKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** X-Flagline-Signature, the original scheme, kept alongside for one version: sha256=hex HMAC(secret, "<ts>.<body>"). */
export function legacySignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A new webhook's secret: 24 random bytes in the Standard Webhooks format. */
export function generatedSecretFrom(bytes: Buffer): string {
  return `${STANDARD_PREFIX}${bytes.toString('base64')}`;
}
