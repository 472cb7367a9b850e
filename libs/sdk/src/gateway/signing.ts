import { createHash, createHmac, createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { formatGatewaySignature, gatewayRequestMessage } from '@stoa/ir';
import { resolveSecret, type SecretRef } from '../config/secrets.js';

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The gateway's Ed25519 signing key, derived from its secret: every instance that shares the
 * secret signs with the same key, and the key needs no storage of its own.
 */
export function gatewaySigningKey(gatewaySecret: Buffer): KeyObject {
  const seed = createHmac('sha256', gatewaySecret).update('stoa-gateway-signing-key-v1').digest();
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * The public half as nodes are given it (STOA_GATEWAY_PUBLIC_KEY): the raw 32-byte key,
 * base64url. A public key is not a secret: it may sit in manifests, logs and database rows.
 */
export function gatewayPublicKey(signingKey: KeyObject): string {
  const jwk = signingKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 key');
  return jwk.x;
}

/** Nonces: this process's random prefix and a counter (unique without a random draw each). */
const NONCE_PREFIX = randomBytes(9).toString('base64url');
let nonceCounter = 0;

/** The `x-stoa-gateway-signature` value for one forwarded request (ir's gatewayRequestMessage). */
export function signGatewayRequest(
  signingKey: KeyObject,
  request: { method: string; path: string; deploymentId: string; body: Buffer; now?: number },
): string {
  const timestampMs = request.now ?? Date.now();
  const nonce = `${NONCE_PREFIX}${(nonceCounter++).toString(36)}`;
  const message = gatewayRequestMessage({
    nonce,
    method: request.method,
    path: request.path,
    deploymentId: request.deploymentId,
    timestampMs,
    bodySha256: createHash('sha256').update(request.body).digest('hex'),
  });
  return formatGatewaySignature(
    timestampMs,
    nonce,
    sign(null, Buffer.from(message), signingKey).toString('base64url'),
  );
}

/**
 * The gateway public key the deploy engine hands a deployment's nodes: STOA_GATEWAY_PUBLIC_KEY
 * when set, else derived from the gateway's secret (STOA_GATEWAY_SECRET, an env:/file:
 * reference, as the gateway reads it), else none (the nodes then take inference from anyone).
 */
export function gatewayPublicKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.STOA_GATEWAY_PUBLIC_KEY) return env.STOA_GATEWAY_PUBLIC_KEY;
  if (!env.STOA_GATEWAY_SECRET) return undefined;
  const secret = resolveSecret(env.STOA_GATEWAY_SECRET as SecretRef, process.cwd(), env);
  return gatewayPublicKey(gatewaySigningKey(Buffer.from(secret, 'utf8')));
}
