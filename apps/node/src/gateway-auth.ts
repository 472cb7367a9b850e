import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  GATEWAY_SIGNATURE_HEADER,
  GATEWAY_SIGNATURE_WINDOW_MS,
  gatewayRequestMessage,
  parseGatewaySignature,
} from '@stoa/ir';
import { gatewayGuard } from './gateway-credential.js';
import type { Request } from './http.js';

export interface GatewayAuthConfig {
  /** The gateway's Ed25519 public key and this node's deployment (signed requests). */
  readonly gateway?: { readonly publicKey: string; readonly deploymentId: string };
  /** The older shared credential (gateway-credential.ts), used only when no public key is set. */
  readonly gatewayCredential?: string;
}

/**
 * Who may ask this node for an inference. With a gateway public key (STOA_GATEWAY_PUBLIC_KEY):
 * only requests the deployment's gateway signed (Ed25519 over method, path, deployment id,
 * time and the body's SHA-256; @stoa/ir gatewayRequestMessage), at most
 * GATEWAY_SIGNATURE_WINDOW_MS from this node's clock, each signature accepted once. The node
 * holds no secret. Without one it falls back to the shared credential when one is set, and
 * is open otherwise (a node run by hand). Returns the refusal (answered 401), or undefined.
 */
export function gatewayAuth(config: GatewayAuthConfig, now: () => number = Date.now) {
  if (!config.gateway) {
    const byCredential = gatewayGuard(config.gatewayCredential);
    return async (request: Request) => byCredential(request.header);
  }
  const { deploymentId } = config.gateway;
  const publicKey = ed25519PublicKey(config.gateway.publicKey);
  const seen = new SeenSignatures();
  return async (request: Request): Promise<string | undefined> => {
    const header = request.header(GATEWAY_SIGNATURE_HEADER);
    if (!header) return 'inference goes through the deployment’s gateway: no gateway signature';
    const parsed = parseGatewaySignature(header);
    if (!parsed) return `${GATEWAY_SIGNATURE_HEADER}: not of the form t=<ms>;n=<nonce>;sig=<base64url>`;
    const at = now();
    if (Math.abs(at - parsed.timestampMs) > GATEWAY_SIGNATURE_WINDOW_MS)
      return 'the gateway signature has expired (or is dated in the future)';
    const message = gatewayRequestMessage({
      method: request.method,
      path: request.path,
      deploymentId,
      timestampMs: parsed.timestampMs,
      nonce: parsed.nonce,
      bodySha256: createHash('sha256')
        .update(await request.bytes())
        .digest('hex'),
    });
    if (!verify(null, Buffer.from(message), publicKey, Buffer.from(parsed.signature, 'base64url')))
      return 'the gateway signature does not match this request and deployment';
    if (!seen.add(parsed.signature, parsed.timestampMs, at)) return 'this gateway signature was used before';
    return undefined;
  };
}

function ed25519PublicKey(x: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/**
 * Signatures accepted within the window, so that a captured request cannot be replayed while
 * its time is still valid; entries leave once their time is outside the window.
 */
class SeenSignatures {
  private readonly expiries = new Map<string, number>();
  private nextSweep = 0;

  add(signature: string, timestampMs: number, now: number): boolean {
    if (now >= this.nextSweep) {
      for (const [s, until] of this.expiries) if (until < now) this.expiries.delete(s);
      this.nextSweep = now + 1_000;
    }
    if (this.expiries.has(signature)) return false;
    this.expiries.set(signature, timestampMs + GATEWAY_SIGNATURE_WINDOW_MS);
    return true;
  }
}
