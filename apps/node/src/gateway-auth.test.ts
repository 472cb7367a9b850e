import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { formatGatewaySignature, GATEWAY_SIGNATURE_HEADER, gatewayRequestMessage } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayAuthConfig, gatewayAuth } from './gateway-auth.js';
import { type HttpServer, startHttp } from './http.js';

// The node's side of signed requests over real HTTP (startHttp): the signer here is written
// from the protocol (@stoa/ir gatewayRequestMessage) with node:crypto, independently of the
// gateway's (whose requests gateway.test.ts sends to real nodes).
const DEPLOYMENT = 'dep-1';
const PATH = '/v1/models/0xabc/infer';
const gatewayKeys = generateKeyPairSync('ed25519');
const publicX = gatewayKeys.publicKey.export({ format: 'jwk' }).x!;
let clock = Date.now();
let nonce = 0;

function signature(
  body: string,
  opts: { at?: number; key?: KeyObject; deployment?: string; path?: string } = {},
) {
  const timestampMs = opts.at ?? clock;
  const n = `n${nonce++}`;
  const message = gatewayRequestMessage({
    method: 'POST',
    path: opts.path ?? PATH,
    deploymentId: opts.deployment ?? DEPLOYMENT,
    timestampMs,
    nonce: n,
    bodySha256: createHash('sha256').update(body).digest('hex'),
  });
  const sig = sign(null, Buffer.from(message), opts.key ?? gatewayKeys.privateKey).toString('base64url');
  return formatGatewaySignature(timestampMs, n, sig);
}

async function serve(config: GatewayAuthConfig) {
  const guard = gatewayAuth(config, () => clock);
  const http = await startHttp(
    {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1 << 20,
      maxConnections: 64,
      maxInFlight: 8,
      limited: () => false,
    },
    async (request) => {
      const refused = await guard(request);
      return refused
        ? { status: 401, body: { error: refused } }
        : { status: 200, body: await request.json() };
    },
    () => undefined,
  );
  const address = http.server.address();
  return { http, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

let signed: { http: HttpServer; url: string };
let legacy: { http: HttpServer; url: string };
beforeAll(async () => {
  signed = await serve({ gateway: { publicKey: publicX, deploymentId: DEPLOYMENT } });
  legacy = await serve({ gatewayCredential: 'c'.repeat(43) });
});
afterAll(async () => {
  for (const s of [signed, legacy]) {
    s.http.server.closeAllConnections();
    await new Promise((r) => s.http.server.close(r));
  }
});

const post = async (url: string, body: string, headers: Record<string, string>, path = PATH) => {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const answer = (await response.json()) as { error?: string };
  return { status: response.status, error: answer.error };
};

describe('gateway-signed inference requests (issue 12)', () => {
  const body = JSON.stringify({ inputs: [[1, 2, 3]] });

  it('accepts a request the gateway signed, once', async () => {
    const header = signature(body);
    expect(await post(signed.url, body, { [GATEWAY_SIGNATURE_HEADER]: header })).toEqual({
      status: 200,
      error: undefined,
    });
    expect(await post(signed.url, body, { [GATEWAY_SIGNATURE_HEADER]: header })).toEqual({
      status: 401,
      error: 'this gateway signature was used before',
    });
  });

  it('refuses unsigned, malformed, stale, future-dated and wrongly signed requests', async () => {
    const refusal = async (headers: Record<string, string>, sent = body, path = PATH) =>
      (await post(signed.url, sent, headers, path)).error;
    expect(await refusal({})).toMatch(/no gateway signature/);
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: 't=1;sig=abc' })).toMatch(/not of the form/);
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body, { at: clock - 30_001 }) })).toMatch(
      /expired/,
    );
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body, { at: clock + 30_001 }) })).toMatch(
      /expired/,
    );
    const mismatch = /does not match this request and deployment/;
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body) }, body.replace('3', '4'))).toMatch(
      mismatch,
    );
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body, { deployment: 'dep-2' }) })).toMatch(
      mismatch,
    );
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body, { path: '/v1/infer' }) })).toMatch(
      mismatch,
    );
    const stranger = generateKeyPairSync('ed25519').privateKey;
    expect(await refusal({ [GATEWAY_SIGNATURE_HEADER]: signature(body, { key: stranger }) })).toMatch(
      mismatch,
    );
  });

  it('accepts a signature within the window once the clock moves, and forgets it after', async () => {
    const header = signature(body);
    clock += 29_000;
    expect((await post(signed.url, body, { [GATEWAY_SIGNATURE_HEADER]: header })).status).toBe(200);
    clock += 2_000; // past the window: refused as expired, whatever the replay memory holds
    expect((await post(signed.url, body, { [GATEWAY_SIGNATURE_HEADER]: header })).error).toMatch(/expired/);
  });

  it('without a public key, falls back to the shared credential', async () => {
    expect((await post(legacy.url, body, {})).status).toBe(401);
    expect((await post(legacy.url, body, { 'x-stoa-gateway-credential': 'c'.repeat(43) })).status).toBe(200);
    expect((await post(legacy.url, body, { [GATEWAY_SIGNATURE_HEADER]: signature(body) })).status).toBe(401);
  });
});
