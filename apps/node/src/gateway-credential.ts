import { createHash, timingSafeEqual } from 'node:crypto';

/** The header the gateway presents its per-deployment credential in. */
export const GATEWAY_CREDENTIAL_HEADER = 'x-stoa-gateway-credential';

/**
 * Inference only from the deployment's gateway: when the node was given a credential
 * (STOA_GATEWAY_CREDENTIAL), an inference request must present it; trace and claim routes stay
 * open to challengers. The node keeps only the credential's SHA-256 and compares digests in
 * constant time. Returns the refusal for a request, or undefined to let it through.
 */
export function gatewayGuard(credential: string | undefined) {
  if (!credential) return (_header: (name: string) => string | undefined) => undefined;
  const expected = createHash('sha256').update(credential).digest();
  return (header: (name: string) => string | undefined): string | undefined => {
    const presented = header(GATEWAY_CREDENTIAL_HEADER);
    if (!presented) return 'inference goes through the deployment’s gateway: no gateway credential';
    const digest = createHash('sha256').update(presented).digest();
    return timingSafeEqual(digest, expected) ? undefined : 'the gateway credential is not this deployment’s';
  };
}
