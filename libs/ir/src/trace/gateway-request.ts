/**
 * The gateway's signature on an inference it forwards to a node (issue 12): Ed25519 over the
 * text below, sent as `x-stoa-gateway-signature: t=<ms>;n=<nonce>;sig=<base64url>`. Nodes hold only the
 * gateway's public key, so no secret reaches a node's manifest. Defined here, beside the
 * receipt, because both sides (apps/gateway signs, apps/node verifies) must build the same
 * bytes; the cryptography itself is node:crypto's on each side.
 */
export const GATEWAY_SIGNATURE_HEADER = 'x-stoa-gateway-signature';

/** How far a signature's time may be from the node's clock, either way. */
export const GATEWAY_SIGNATURE_WINDOW_MS = 30_000;

export interface GatewayRequestFields {
  readonly method: string;
  readonly path: string;
  readonly deploymentId: string;
  readonly timestampMs: number;
  /**
   * Unique per signed request (Ed25519 is deterministic: without it, two identical requests in
   * one millisecond would carry the same signature, and a node refuses a signature seen before).
   */
  readonly nonce: string;
  /** SHA-256 of the body's bytes, hex. */
  readonly bodySha256: string;
}

/** The exact text that is signed: one field a line, after a versioned domain tag. */
export function gatewayRequestMessage(f: GatewayRequestFields): string {
  return `stoa-gateway-request-v1\n${f.method.toUpperCase()}\n${f.path}\n${f.deploymentId}\n${f.timestampMs}\n${f.nonce}\n${f.bodySha256}`;
}

export function formatGatewaySignature(timestampMs: number, nonce: string, signature: string): string {
  return `t=${timestampMs};n=${nonce};sig=${signature}`;
}

/** The header's parts, or undefined when it is not of the form `t=<ms>;n=<nonce>;sig=<base64url>`. */
export function parseGatewaySignature(
  header: string,
): { readonly timestampMs: number; readonly nonce: string; readonly signature: string } | undefined {
  const match = /^t=(\d{1,16});n=([A-Za-z0-9_-]{1,64});sig=([A-Za-z0-9_-]{86})$/.exec(header);
  return match ? { timestampMs: Number(match[1]), nonce: match[2]!, signature: match[3]! } : undefined;
}
