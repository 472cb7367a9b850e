import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate like an Akash provider's (`provider-services tx cert generate
 * server`): CommonName the provider's address, the host in subjectAltName, P-256 key. Made by
 * the openssl CLI (Node cannot issue certificates).
 */
export function selfSignedCertificate(commonName: string, ip = '127.0.0.1'): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-cert-'));
  try {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        `subjectAltName=IP:${ip}`,
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl req -x509 failed: ${made.stderr}`);
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
