import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateManifest,
  JwtTokenManager,
  manifestToSortedJSON,
  SDL,
  validateSDL,
} from '@akashnetwork/chain-sdk';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { Agent, fetch as undiciFetch } from 'undici';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityError, UserError } from '../core/errors.js';
import { MemoryRecordStore } from '../core/record-store.js';
import { nodeSpecSchema } from '../core/types.js';
import { conformanceSuite } from '../kit/conformance.js';
import { processesWithEnv } from '../testing/proc.js';
import { akashAdapter } from './adapter.js';
import { AkashEmulator, type EmulatedProvider } from './emulator.js';
import { generateSdl, manifestFor, sdlProblems, sdlToYaml } from './sdl.js';
import { decodeTx, signerFromMnemonic, signTx, TYPE_CREATE_DEPLOYMENT } from './tx.js';

const spec = {
  name: 'ak',
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  gpu: { kind: 'nvidia-h100', count: 1 },
};
const providers: EmulatedProvider[] = [
  { owner: 'akash1provcheap000000000000000000000000000', attributes: { region: 'eu' }, priceUakt: 900 },
  { owner: 'akash1provus00000000000000000000000000000000', attributes: { region: 'us' }, priceUakt: 1200 },
];
const fast = { bidTimeoutMs: 1500, readyTimeoutMs: 5000 };

let mnemonic: string;
let poorMnemonic: string;
let address: string;
beforeAll(async () => {
  mnemonic = (await DirectSecp256k1HdWallet.generate(24, { prefix: 'akash' })).mnemonic;
  poorMnemonic = (await DirectSecp256k1HdWallet.generate(24, { prefix: 'akash' })).mnemonic;
  address = (await signerFromMnemonic(mnemonic)).address;
});

async function emulator(extra: Partial<ConstructorParameters<typeof AkashEmulator>[0]> = {}) {
  const poor = (await signerFromMnemonic(poorMnemonic)).address;
  return new AkashEmulator({
    accounts: { [address]: 100_000_000, [poor]: 10_000 },
    providers,
    ...extra,
  }).start();
}

conformanceSuite(vitest, 'akash (chain + provider emulator)', async () => {
  const emu = await emulator();
  const silent = await emulator({ providers: providers.map((p) => ({ ...p, bids: false })) });
  const dying = await emulator({ providers: [{ ...providers[0]!, diesOnManifest: true }] });
  return {
    adapter: akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast }),
    spec,
    activeResources: async () => emu.activeResources() + silent.activeResources() + dying.activeResources(),
    resourcesPerDeployment: 2, // the deployment (escrow) and its lease
    failures: [
      {
        name: 'bad credentials',
        kind: 'user',
        code: 'bad-credentials',
        adapter: akashAdapter({ mnemonic: 'not a mnemonic', restUrl: emu.restUrl }),
      },
      {
        name: 'no funds',
        kind: 'user',
        code: 'no-funds',
        adapter: akashAdapter({ mnemonic: poorMnemonic, restUrl: emu.restUrl, ...fast }),
      },
      {
        name: 'no bids',
        kind: 'capacity',
        code: 'no-bids',
        adapter: akashAdapter({ mnemonic, restUrl: silent.restUrl, ...fast }),
      },
      {
        name: 'provider dies mid-deploy',
        kind: 'capacity',
        code: 'provider-failed',
        adapter: akashAdapter({ mnemonic, restUrl: dying.restUrl, ...fast }),
      },
    ],
    close: async () => {
      await emu.close();
      await silent.close();
      await dying.close();
    },
  };
});

describe('akash SDL', () => {
  it('is accepted by the SDK’s own SDL validation and manifest generation', () => {
    const s = nodeSpecSchema.parse({ ...spec, replicas: 2 });
    const sdl = generateSdl(s, { maxUactPerBlock: 5000, providerAttributes: { tier: 'community' } });
    expect(validateSDL(sdl, 'mainnet')).toBeUndefined();
    const gen = generateManifest(sdl, 'mainnet');
    expect(gen.ok).toBe(true);
    // and through the YAML path the CLI users see
    const parsed = SDL.fromString(sdlToYaml(sdl), 'beta3', 'mainnet');
    expect(parsed.groups()[0].resources[0].count).toBe(2);
    const gpu = JSON.stringify(manifestFor(sdl).groupSpecs[0]!.resources[0]!.resource!.gpu);
    expect(gpu).toContain('vendor/nvidia/model/h100');
    expect(manifestFor(sdl).groupSpecs[0]!.resources[0]!.price).toEqual({ denom: 'uact', amount: '5000' });
  });

  it('reports invalid specs with the field named', () => {
    const bad = generateSdl(nodeSpecSchema.parse({ ...spec, image: 'x' }));
    (bad.services.node as { image: string }).image = '';
    expect(sdlProblems(bad)).toEqual([expect.objectContaining({ path: 'services.node.image' })]);
    const a = akashAdapter({ mnemonic: 'x', restUrl: 'http://127.0.0.1:1' });
    expect(a.validate({ ...spec, gpu: { kind: 'nvidia-k80', count: 1 } })).toEqual([
      expect.objectContaining({ path: 'gpu.kind' }),
    ]);
  });
});

describe('akash transactions', () => {
  it('signs MsgCreateDeployment offline and decodes back to the same deployment', async () => {
    const s = await signerFromMnemonic(mnemonic);
    const { groups, groupSpecs } = manifestFor(generateSdl(nodeSpecSchema.parse(spec)));
    const { generateManifestVersion } = await import('@akashnetwork/chain-sdk');
    const hash = await generateManifestVersion(groups);
    const value = {
      id: { owner: s.address, dseq: '4242' },
      groups: groupSpecs,
      hash,
      deposit: { amount: { denom: 'uakt', amount: '500000' }, sources: [1] },
    };
    const bytes = await signTx(s, [{ typeUrl: TYPE_CREATE_DEPLOYMENT, value }], {
      chainId: 'akashnet-2',
      accountNumber: 7,
      sequence: 3,
    });
    const { messages, raw } = decodeTx(bytes);
    expect(TYPE_CREATE_DEPLOYMENT).toBe('/akash.deployment.v1beta4.MsgCreateDeployment');
    expect(messages).toHaveLength(1);
    // biome-ignore lint/suspicious/noExplicitAny: a decoded protobuf message, checked field by field below
    const m = messages[0]!.value as Record<string, any>;
    expect(m.id.owner).toBe(s.address);
    expect(String(m.id.dseq)).toBe('4242');
    expect(Buffer.from(m.hash).equals(Buffer.from(hash))).toBe(true);
    expect(m.deposit).toMatchObject({ amount: { denom: 'uakt', amount: '500000' }, sources: [1] });
    expect(JSON.stringify(m.groups)).toBe(
      JSON.stringify(groupSpecs.map((g) => ({ ...g }))).replace(/"count":(\d+)/g, '"count":$1'),
    );
    expect(Number(raw.authInfo.signerInfos[0]!.sequence)).toBe(3);
  });
});

describe('akash denomination since BME', () => {
  it('refuses a uakt deposit with a deployment-module error that is not read as bad credentials', async () => {
    const emu = await emulator();
    try {
      const s = await signerFromMnemonic(mnemonic);
      const { groups, groupSpecs } = manifestFor(generateSdl(nodeSpecSchema.parse(spec)));
      const { generateManifestVersion } = await import('@akashnetwork/chain-sdk');
      const value = {
        id: { owner: s.address, dseq: '77' },
        groups: groupSpecs,
        hash: await generateManifestVersion(groups),
        deposit: { amount: { denom: 'uakt', amount: '500000' }, sources: [1] },
      };
      const acct = emu.accounts.get(s.address)!;
      const send = async (fee: { amount: { denom: string; amount: string }[]; gas: string }) => {
        const bytes = await signTx(s, [{ typeUrl: TYPE_CREATE_DEPLOYMENT, value }], {
          chainId: emu.chainId,
          accountNumber: acct.number,
          sequence: acct.sequence,
          fee,
        });
        const r = await fetch(`${emu.restUrl}/cosmos/tx/v1beta1/txs`, {
          method: 'POST',
          body: JSON.stringify({
            tx_bytes: Buffer.from(bytes).toString('base64'),
            mode: 'BROADCAST_MODE_SYNC',
          }),
        });
        return ((await r.json()) as { tx_response: { code: number; codespace: string; raw_log: string } })
          .tx_response;
      };
      // A fixed fee is refused: under the minimum gas price (sdk 13), or a gas limit under use (sdk 11).
      expect(await send({ amount: [{ denom: 'uakt', amount: '5000' }], gas: '400000' })).toMatchObject({
        code: 13,
        codespace: 'sdk',
      });
      expect(await send({ amount: [{ denom: 'uakt', amount: '5000' }], gas: '200000' })).toMatchObject({
        code: 11,
        codespace: 'sdk',
      });
      const tx_response = await send({ amount: [{ denom: 'uakt', amount: '20000' }], gas: '800000' });
      expect(tx_response).toMatchObject({ code: 4, codespace: 'deployment' });
      expect(tx_response.raw_log).toMatch(/use uact/);
      // The SDL prices in uact and the quote is in USD straight from it (1 ACT = 1 USD).
      expect(JSON.stringify(manifestFor(generateSdl(nodeSpecSchema.parse(spec))).groupSpecs)).toContain(
        '"denom":"uact"',
      );
      const [q] = await akashAdapter({ mnemonic, restUrl: emu.restUrl, maxUactPerBlock: 10_000 }).quote(spec);
      expect(q!.pricePerHourUsd).toBeCloseTo(6, 9); // 0.01 USD a block, 600 blocks an hour
    } finally {
      await emu.close();
    }
  });

  it('mints ACT from AKT (MsgMintACT) when the wallet holds too little, or says what is missing', async () => {
    const emu = await emulator({ actBalances: {}, aktUsd: 0.5 });
    try {
      const store = new MemoryRecordStore();
      await expect(
        akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast }).provision(
          { ...spec, name: 'ak-noact' },
          { store },
        ),
      ).rejects.toMatchObject({
        code: 'no-funds',
        message: expect.stringMatching(/holds 0uact; the deposit needs 500000uact/),
      });
      const a = akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast, mintUakt: 1_000_000 });
      const dep = await a.provision({ ...spec, name: 'ak-mint' }, { store });
      expect(dep.state).toBe('running');
      const account = emu.accounts.get(address)!;
      expect(account.act).toBe(0); // 1,000,000 uakt at 0.5 USD minted 500,000 uact, all in the deposit
      await a.teardown(dep, { store });
      expect(emu.accounts.get(address)!.act).toBe(500_000); // the deposit comes back in uact
    } finally {
      await emu.close();
    }
  });
});

describe('akash providers that have not seen the lease yet', () => {
  it('retries the 404 "no lease for deployment" and the lease-status 404 after the manifest, within a limit', async () => {
    const slow = await emulator({ providerSeesLeaseMs: 700, statusAfterManifestMs: 400 });
    try {
      const started = Date.now();
      const a = akashAdapter({ mnemonic, restUrl: slow.restUrl, ...fast, readyTimeoutMs: 10_000 });
      const store = new MemoryRecordStore();
      const dep = await a.provision({ ...spec, name: 'ak-late' }, { store });
      expect(dep.state).toBe('running');
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      await a.teardown(dep, { store });
      const impatient = akashAdapter({
        mnemonic,
        restUrl: slow.restUrl,
        ...fast,
        leaseVisibleTimeoutMs: 200,
      });
      await expect(impatient.provision({ ...spec, name: 'ak-late-2' }, { store })).rejects.toMatchObject({
        kind: 'capacity',
        code: 'provider-failed',
      });
      expect(slow.activeResources()).toBe(0);
    } finally {
      await slow.close();
    }
  }, 30_000);
});

describe('akash end to end on the emulator', () => {
  let emu: AkashEmulator;
  beforeAll(async () => {
    emu = await emulator();
  });
  afterAll(() => emu.close());

  it('goes from deployment to lease to a running service URI and back to closed', async () => {
    const a = akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast });
    const store = new MemoryRecordStore();
    const steps: string[] = [];
    const dep = await a.provision(
      { ...spec, name: 'ak-e2e' },
      { store, onProgress: (e) => e.phase === 'done' && steps.push(e.step) },
    );
    expect(steps).toEqual(['create-deployment', 'select-bid', 'create-lease', 'send-manifest', 'wait-ready']);
    expect((dep.data.bid as { provider: string }).provider).toBe(providers[0]!.owner); // cheapest
    const lease = emu.leases.find((l) => l.dseq === dep.data.dseq)!;
    expect(lease.state).toBe('active');
    expect(lease.manifest).toBeTruthy();
    const st = await a.status(dep);
    expect(st.state).toBe('running');
    const health = await (await fetch(`${st.endpoints[0]}/health`)).json();
    expect(health).toEqual({ state: 'ready' });
    // Logs: a WebSocket upgrade with JSON frames {name, message}; a plain GET is refused with 400.
    const lines = [];
    for await (const l of a.logs(dep, {})) lines.push(l);
    expect(lines).toEqual([
      { replica: 'node', stream: 'stdout', line: '[node] pulled image' },
      { replica: 'node', stream: 'stdout', line: '[node] listening on 0.0.0.0:8080' },
    ]);
    const { hostUri, provider } = dep.data.bid as { hostUri: string; provider: string };
    // The provider's API is HTTPS with its self-signed certificate; trusting exactly that one:
    const dispatcher = new Agent({ connect: { ca: emu.certificates.get(provider)!.cert } });
    const providerGet = (
      path: string,
      authorization: string,
      init: { method?: string; body?: string } = {},
    ) => undiciFetch(`${hostUri}${path}`, { ...init, headers: { authorization }, dispatcher });
    const plain = await providerGet(`/lease/${dep.data.dseq}/1/1/logs`, 'Bearer x.e30.x');
    expect(plain.status).toBe(401);
    // A token whose claims are right but whose signature is not the issuer's is refused too.
    const forged = `${Buffer.from('{"alg":"ES256KADR36","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: address, exp: Math.floor(Date.now() / 1000) + 600, version: 'v1' }),
    ).toString('base64url')}.${Buffer.alloc(64, 1).toString('base64url')}`;
    expect((await providerGet(`/lease/${dep.data.dseq}/1/1/status`, `Bearer ${forged}`)).status).toBe(401);
    expect(await fetch(`${hostUri}/lease/${dep.data.dseq}/1/1/status`).catch((e) => e.cause?.code)).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    await a.teardown(dep, { store });
    expect(emu.deployments.get(`${address}/${dep.data.dseq}`)!.state).toBe('closed');
    expect(lease.state).toBe('closed');
    expect(emu.activeResources()).toBe(0);
  });

  it('trusts a self-signed provider certificate only when it is registered on chain', async () => {
    const impostor = await emulator({ providers: [{ ...providers[0]!, certificate: 'unregistered' }] });
    try {
      const a = akashAdapter({ mnemonic, restUrl: impostor.restUrl, ...fast });
      const error = await a
        .provision({ ...spec, name: 'ak-tls' }, { store: new MemoryRecordStore() })
        .catch((e) => e);
      expect(error).toBeInstanceOf(CapacityError);
      expect(error.message).toMatch(
        /self-signed certificate \(serial \d+\) is not registered on chain as valid/,
      );
      expect(impostor.leases.every((l) => !l.manifest)).toBe(true); // nothing was sent to it
    } finally {
      await impostor.close();
    }
  });

  it('answers 422 to a manifest whose version hash differs from the deployment hash', async () => {
    const a = akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast });
    const dep = await a.provision({ ...spec, name: 'ak-hash' }, { store: new MemoryRecordStore() });
    const { hostUri, provider } = dep.data.bid as { hostUri: string; provider: string };
    const signer = await signerFromMnemonic(mnemonic);
    const now = Math.floor(Date.now() / 1000);
    const token = await new JwtTokenManager(signer.amino).generateToken({
      version: 'v1',
      iss: address,
      iat: now,
      nbf: now,
      exp: now + 600,
      leases: { access: 'full' },
    } as never);
    const other = manifestToSortedJSON(
      manifestFor(generateSdl(nodeSpecSchema.parse({ ...spec, name: 'ak-hash', modelId: 'other' }))).groups,
    );
    const res = await undiciFetch(`${hostUri}/deployment/${dep.data.dseq}/manifest`, {
      method: 'PUT',
      body: other,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      dispatcher: new Agent({ connect: { ca: emu.certificates.get(provider)!.cert } }),
    });
    expect(res.status).toBe(422);
    await a.teardown(dep);
  });

  it('selects bids by provider attributes', async () => {
    const a = akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast, providerAttributes: { region: 'us' } });
    const dep = await a.provision({ ...spec, name: 'ak-us' }, { store: new MemoryRecordStore() });
    expect((dep.data.bid as { provider: string }).provider).toBe(providers[1]!.owner);
    await a.teardown(dep);
  });

  it('classifies a bad mnemonic and an unfunded account before spending', async () => {
    await expect(
      akashAdapter({ mnemonic: 'nope', restUrl: emu.restUrl }).provision(
        { ...spec, name: 'ak-x' },
        { store: new MemoryRecordStore() },
      ),
    ).rejects.toBeInstanceOf(UserError);
    const stranger = (await DirectSecp256k1HdWallet.generate(12, { prefix: 'akash' })).mnemonic;
    await expect(
      akashAdapter({ mnemonic: stranger, restUrl: emu.restUrl }).provision(
        { ...spec, name: 'ak-y' },
        { store: new MemoryRecordStore() },
      ),
    ).rejects.toMatchObject({ code: 'no-funds' });
    expect(CapacityError).toBeDefined();
  });
});

describe('akash provider running workloads', () => {
  it('runs the manifest’s service as processes with its env; status, health, logs and close are theirs', async () => {
    const tag = `akash-${randomUUID()}`;
    const dir = await mkdtemp(join(tmpdir(), 'stoa-akash-'));
    const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));
    const emu = await emulator({ runWorkloads: { command: [process.execPath, fakeNode], dir } });
    try {
      const a = akashAdapter({ mnemonic, restUrl: emu.restUrl, ...fast });
      const dep = await a.provision(
        { ...spec, name: 'ak-run', replicas: 2, env: { STOA_TEST_TAG: tag, FAKE_READY_AFTER_MS: '300' } },
        { store: new MemoryRecordStore() },
      );
      const pids = await processesWithEnv('STOA_TEST_TAG', tag);
      expect(pids).toHaveLength(2);
      const status = await a.status(dep);
      expect(status).toMatchObject({ state: 'running' });
      expect(status.replicas.map((r) => r.health)).toEqual(['ready', 'ready']);
      for (const url of status.endpoints) {
        const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
        expect(health).toMatchObject({ state: 'ready', modelId: spec.modelId });
        expect(pids).toContain(health.pid);
      }
      const lines = [];
      for await (const l of a.logs(dep, {})) lines.push(l.line);
      expect(lines.filter((l) => /listening on 127\.0\.0\.1:\d+$/.test(l))).toHaveLength(2);
      await a.teardown(dep);
      await vitest.expect.poll(() => processesWithEnv('STOA_TEST_TAG', tag)).toEqual([]);
      expect(emu.workloads()).toEqual([]);
    } finally {
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
