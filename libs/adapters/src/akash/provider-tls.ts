/**
 * Trusting an Akash provider's API endpoint. Providers with a certificate from a public CA are
 * verified as any HTTPS server. Most present a self-signed certificate instead, registered on
 * chain in the cert module by the provider's owner: it is trusted only if the chain lists it as
 * `valid` for that owner under the presented serial, byte for byte, with the owner's address as
 * its CommonName — then pinned as the only trust anchor for that provider. Anything else is
 * refused, never trusted blindly.
 */

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { Agent } from 'undici';
import { CapacityError } from '../core/errors.js';

export interface ProviderTrust {
  /** For undici's fetch (`dispatcher`): undefined means the default public-CA verification. */
  dispatcher?: Agent;
  /** For the `ws` client: the pinned certificate as `ca`. */
  ca?: string;
  how: 'public-ca' | 'on-chain';
}

interface CertificateList {
  certificates: { serial: string; certificate: { state: string; cert: string } }[];
}

/** The certificate the server at `url` presents, and whether public CAs vouch for it. */
function presented(url: URL): Promise<{ authorized: boolean; cert: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: url.hostname,
        port: Number(url.port || 443),
        // SNI names a host, never an address (RFC 6066): a provider reached by IP sends none.
        ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
        rejectUnauthorized: false,
      },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve({ authorized: socket.authorized, cert });
      },
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}

/**
 * Decides whether to trust `provider`'s API at `hostUri`, reading the chain's certificate
 * registry with `restGet` (`/akash/cert/v1/certificates/list`).
 */
export async function providerTrust(
  provider: string,
  hostUri: string,
  restGet: <T>(path: string) => Promise<T>,
): Promise<ProviderTrust> {
  const url = new URL(hostUri);
  const refuse = (why: string) =>
    new CapacityError('provider-failed', `provider ${provider} at ${url.origin}: ${why}`, {
      adapter: 'akash',
      hint: 'refused as untrusted: deploy with another provider',
    });
  if (url.protocol !== 'https:') throw refuse('its API is not served over HTTPS');
  const { authorized, cert } = await presented(url);
  if (authorized) return { how: 'public-ca' };
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  const q = new URLSearchParams({
    'filter.owner': provider,
    'filter.serial': serial,
    'filter.state': 'valid',
  });
  const { certificates } = await restGet<CertificateList>(`/akash/cert/v1/certificates/list?${q}`);
  const registered = certificates
    .filter((c) => c.certificate.state === 'valid' && c.serial === serial)
    .map((c) => Buffer.from(c.certificate.cert, 'base64').toString('utf8'))
    .find((pem) => new X509Certificate(pem).raw.equals(cert.raw));
  if (!registered)
    throw refuse(
      `its self-signed certificate (serial ${serial}) is not registered on chain as valid for ${provider}`,
    );
  const x509 = new X509Certificate(registered);
  if (!/(^|\n)CN=([^\n]+)/.test(x509.subject) || x509.subject.match(/(?:^|\n)CN=([^\n]+)/)![1] !== provider) {
    throw refuse(`its certificate names ${x509.subject.replace(/\n/g, ', ')}, not the provider's address`);
  }
  const now = Date.now();
  if (Date.parse(x509.validFrom) > now || Date.parse(x509.validTo) < now)
    throw refuse('its certificate has expired or is not yet valid');
  return { dispatcher: new Agent({ connect: { ca: registered } }), ca: registered, how: 'on-chain' };
}
