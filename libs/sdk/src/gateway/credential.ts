import { createHmac } from 'node:crypto';

/**
 * The credential a deployment's nodes require on inference requests: an HMAC of the
 * deployment's id under the gateway's secret. The gateway derives it on the fly and the deploy
 * step hands it to that deployment's nodes (STOA_GATEWAY_CREDENTIAL), so no database row holds
 * it and one deployment's nodes cannot call another's.
 */
export function gatewayCredential(gatewaySecret: Buffer, deploymentId: string): string {
  return createHmac('sha256', gatewaySecret)
    .update(`stoa-gateway-credential:${deploymentId}`)
    .digest('base64url');
}
