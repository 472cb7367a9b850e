import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { makeSignDoc as makeAminoSignDoc, pubkeyToAddress, serializeSignDoc } from '@cosmjs/amino';
import { Secp256k1, Secp256k1Signature, sha256 } from '@cosmjs/crypto';
import { decodePubkey, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx.js';
import { WebSocketServer } from 'ws';
import { selfSignedCertificate } from '../testing/certificate.js';
import { delay, type Handler, type RunningServer, sendJson, startServer } from '../testing/server.js';
import { startWorkload, type Workload, type WorkloadRunner } from '../testing/workload.js';
import {
  decodeTx,
  TYPE_CLOSE_DEPLOYMENT,
  TYPE_CREATE_DEPLOYMENT,
  TYPE_CREATE_LEASE,
  TYPE_MINT_ACT,
} from './tx.js';

export interface EmulatedProvider {
  owner: string;
  attributes: Record<string, string>;
  /** Bid price per block, in uact since BME (the name is kept for compatibility). */
  priceUakt: number;
  /** Bids on orders (false = no capacity). */
  bids?: boolean;
  /** Drop the connection and stop listening when a manifest arrives. */
  diesOnManifest?: boolean;
  /**
   * Its API's TLS certificate is self-signed (as most providers' are) and `registered` on chain
   * in the cert module (default), or `unregistered` (an impostor, or a provider that never
   * published it): clients must refuse the latter.
   */
  certificate?: 'registered' | 'unregistered';
}

export interface AkashEmulatorOptions {
  chainId?: string;
  /** Funded accounts: address -> uakt balance. */
  accounts: Record<string, number>;
  /** ACT balances, address -> uact (default: the same number as each account's uakt). */
  actBalances?: Record<string, number>;
  /** USD per AKT: MsgMintACT turns one uakt into this many uact (default 1). */
  aktUsd?: number;
  providers: EmulatedProvider[];
  /** ms after a deployment is created before providers bid. */
  bidDelayMs?: number;
  /** ms before a broadcast tx is queryable (block time). */
  blockMs?: number;
  startupMs?: number;
  /**
   * ms after a lease is created on chain before its provider has seen it: until then a manifest
   * is answered 404 "no lease for deployment", as real providers do (default 150).
   */
  providerSeesLeaseMs?: number;
  /** ms after a manifest is accepted during which lease status still answers 404 (default 100). */
  statusAfterManifestMs?: number;
  /**
   * Run the manifest's service (its image's entrypoint with the manifest's env) as local
   * processes, as a provider would: the lease's URIs are their ports, its status counts the
   * running ones, its logs are their output, and closing the deployment stops them. Unset: a
   * lease only pretends to run (ready after `startupMs`).
   */
  runWorkloads?: WorkloadRunner;
}

interface Dep {
  owner: string;
  dseq: string;
  state: 'active' | 'closed';
  created: number;
  groups: unknown[];
  deposit: number;
  /** The manifest version hash from MsgCreateDeployment: providers refuse other manifests (422). */
  hash: Buffer;
}
interface Lease {
  owner: string;
  dseq: string;
  gseq: number;
  oseq: number;
  provider: string;
  state: 'active' | 'closed';
  price: string;
  createdAt: number;
  manifest?: unknown;
  manifestAt?: number;
  /** The processes running its service (`runWorkloads`). */
  workloads?: Workload[];
}

/**
 * A local emulator of what the Akash adapter talks to: the chain's REST (gRPC-gateway) endpoints
 * (latest block, accounts, tx broadcast and lookup, deployments, bids, leases, providers) with
 * real signature checks, and each provider's HTTP API (manifest, lease status, logs).
 */
export class AkashEmulator {
  readonly chainId: string;
  height = 1000;
  readonly accounts = new Map<string, { number: number; sequence: number; balance: number; act: number }>();
  readonly deployments = new Map<string, Dep>();
  readonly leases: Lease[] = [];
  readonly txs = new Map<string, { code: number; raw_log: string; height: number; visibleAt: number }>();
  readonly providerServers = new Map<string, RunningServer>();
  /** Each provider's service ingress (plain HTTP, like a provider's ingress controller on port 80). */
  readonly ingressServers = new Map<string, RunningServer>();
  /** Each provider's self-signed API certificate (PEM). */
  readonly certificates = new Map<string, { key: string; cert: string }>();
  /**
   * Every request a provider received (method, URL, headers, body; WebSocket upgrades too): what
   * actually reached the provider, for tests that scan it (the operator-key scan).
   */
  readonly providerRequests: { method: string; url: string; headers: string; body: string }[] = [];
  /** Public keys seen in signed transactions, by address: JWTs are verified against them. */
  private readonly pubkeys = new Map<string, Uint8Array>();
  private chain!: RunningServer;

  constructor(readonly opts: AkashEmulatorOptions) {
    this.chainId = opts.chainId ?? 'akashnet-2';
    let n = 10;
    for (const [addr, balance] of Object.entries(opts.accounts))
      this.accounts.set(addr, {
        number: n++,
        sequence: 0,
        balance,
        act: opts.actBalances ? (opts.actBalances[addr] ?? 0) : balance,
      });
  }
  get restUrl() {
    return this.chain.url;
  }
  /** Active deployments plus active leases: what would be escrowed or running. */
  activeResources() {
    return (
      [...this.deployments.values()].filter((d) => d.state === 'active').length +
      this.leases.filter((l) => l.state === 'active').length
    );
  }

  async start(): Promise<this> {
    for (const p of this.opts.providers) this.providerServers.set(p.owner, await this.startProvider(p));
    this.chain = await startServer(async (req, res, body, url) => {
      const p = url.pathname;
      const q = url.searchParams;
      if (p === '/cosmos/base/tendermint/v1beta1/blocks/latest') {
        return sendJson(res, 200, {
          block: { header: { chain_id: this.chainId, height: String(this.height) } },
        });
      }
      const bm = /^\/cosmos\/bank\/v1beta1\/balances\/([a-z0-9]+)\/by_denom$/.exec(p);
      if (bm) {
        const a = this.accounts.get(bm[1]!);
        const denom = q.get('denom');
        const amount = !a ? 0 : denom === 'uact' ? a.act : denom === 'uakt' ? a.balance : 0;
        return sendJson(res, 200, { balance: { denom, amount: String(amount) } });
      }
      const am = /^\/cosmos\/auth\/v1beta1\/accounts\/([a-z0-9]+)$/.exec(p);
      if (am) {
        const a = this.accounts.get(am[1]!);
        if (!a) return sendJson(res, 404, { code: 5, message: `account ${am[1]} not found`, details: [] });
        return sendJson(res, 200, {
          account: {
            '@type': '/cosmos.auth.v1beta1.BaseAccount',
            address: am[1],
            pub_key: null,
            account_number: String(a.number),
            sequence: String(a.sequence),
          },
        });
      }
      if (req.method === 'POST' && p === '/cosmos/tx/v1beta1/txs') return this.broadcast(res, body);
      if (req.method === 'POST' && p === '/cosmos/tx/v1beta1/simulate') return this.simulate(res, body);
      const tm = /^\/cosmos\/tx\/v1beta1\/txs\/([A-F0-9]+)$/.exec(p);
      if (tm) {
        const t = this.txs.get(tm[1]!);
        if (!t || Date.now() < t.visibleAt)
          return sendJson(res, 404, { code: 5, message: `tx (${tm[1]}) not found` });
        return sendJson(res, 200, {
          tx_response: { txhash: tm[1], code: t.code, raw_log: t.raw_log, height: String(t.height) },
        });
      }
      if (p === '/akash/deployment/v1beta4/deployments/info') {
        const d = this.deployments.get(`${q.get('id.owner')}/${q.get('id.dseq')}`);
        if (!d) return sendJson(res, 404, { code: 5, message: 'deployment not found' });
        return sendJson(res, 200, {
          deployment: { id: { owner: d.owner, dseq: d.dseq }, state: d.state },
          groups: [],
          escrow_account: { state: { state: d.state === 'active' ? 'open' : 'closed' } },
        });
      }
      if (p === '/akash/market/v1beta5/bids/list') {
        const d = this.deployments.get(`${q.get('filters.owner')}/${q.get('filters.dseq')}`);
        const bids =
          d &&
          d.state === 'active' &&
          Date.now() - d.created >= (this.opts.bidDelayMs ?? 50) &&
          !this.leases.some((l) => l.dseq === d.dseq && l.state === 'active')
            ? this.opts.providers
                .filter((pr) => pr.bids !== false)
                .map((pr) => ({
                  bid: {
                    id: { owner: d.owner, dseq: d.dseq, gseq: 1, oseq: 1, provider: pr.owner, bseq: 0 },
                    state: 'open',
                    price: { denom: 'uact', amount: `${pr.priceUakt}.000000000000000000` },
                  },
                }))
            : [];
        return sendJson(res, 200, { bids, pagination: { next_key: null, total: String(bids.length) } });
      }
      if (p === '/akash/market/v1beta5/leases/list') {
        const leases = this.leases
          .filter((l) => l.owner === q.get('filters.owner') && l.dseq === q.get('filters.dseq'))
          .map((l) => ({
            lease: {
              id: { owner: l.owner, dseq: l.dseq, gseq: l.gseq, oseq: l.oseq, provider: l.provider, bseq: 0 },
              state: l.state,
              price: { denom: 'uact', amount: l.price },
            },
          }));
        return sendJson(res, 200, { leases, pagination: { next_key: null, total: String(leases.length) } });
      }
      if (p === '/akash/cert/v1/certificates/list') {
        const certificates = this.opts.providers
          .filter((pr) => pr.certificate !== 'unregistered' && pr.owner === q.get('filter.owner'))
          .map((pr) => {
            const { cert } = this.certificates.get(pr.owner)!;
            return {
              serial: BigInt(`0x${new X509Certificate(cert).serialNumber}`).toString(10),
              certificate: { state: 'valid', cert: Buffer.from(cert).toString('base64'), pubkey: '' },
            };
          })
          .filter((c) => !q.get('filter.serial') || c.serial === q.get('filter.serial'))
          .filter((c) => !q.get('filter.state') || c.certificate.state === q.get('filter.state'));
        return sendJson(res, 200, {
          certificates,
          pagination: { next_key: null, total: String(certificates.length) },
        });
      }
      const pm = /^\/akash\/provider\/v1beta4\/providers\/([a-z0-9]+)$/.exec(p);
      if (pm) {
        const pr = this.opts.providers.find((x) => x.owner === pm[1]);
        const srv = this.providerServers.get(pm[1]!);
        if (!pr || !srv) return sendJson(res, 404, { code: 5, message: 'provider not found' });
        return sendJson(res, 200, {
          provider: {
            owner: pr.owner,
            host_uri: srv.url,
            attributes: Object.entries(pr.attributes).map(([key, value]) => ({ key, value })),
          },
        });
      }
      return sendJson(res, 501, { code: 12, message: `Not Implemented: ${req.method} ${p}` });
    });
    return this;
  }

  async close() {
    await Promise.all(this.workloads().map((w) => w.stop()));
    await this.chain?.close();
    for (const s of this.providerServers.values()) await s.close().catch(() => {});
    for (const s of this.ingressServers.values()) await s.close().catch(() => {});
  }

  /** The processes of active leases' services that still run (`runWorkloads`). */
  workloads(): Workload[] {
    return this.leases.flatMap((l) => (l.workloads ?? []).filter((w) => w.state() === 'running'));
  }

  /** Starts a lease's service as the manifest says: `count` processes with its env. */
  private async runManifest(runner: WorkloadRunner, l: Lease): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: the manifest is the client's JSON, read defensively
    const service = (l.manifest as any)?.[0]?.services?.[0] ?? {};
    const env = Object.fromEntries(
      ((service.env as string[] | undefined) ?? []).map((kv) => [
        kv.split('=')[0]!,
        kv.slice(kv.indexOf('=') + 1),
      ]),
    );
    const count = (service.count as number | undefined) ?? 1;
    l.workloads = [];
    for (let i = 0; i < count; i++) l.workloads.push(await startWorkload(runner, `${l.dseq}-${i}`, env));
  }

  /**
   * Gas a transaction consumes: the SDK's per-byte cost (10 gas a byte of tx), a signature
   * verification, and each message's store writes (rough figures of the same order as mainnet's).
   */
  static gasUsed(bytes: Uint8Array, messageTypes: string[]): number {
    const perMessage: Record<string, number> = {
      [TYPE_CREATE_DEPLOYMENT]: 210_000,
      [TYPE_CREATE_LEASE]: 160_000,
      [TYPE_CLOSE_DEPLOYMENT]: 140_000,
      [TYPE_MINT_ACT]: 90_000,
    };
    return 10 * bytes.length + 1_000 + messageTypes.reduce((sum, t) => sum + (perMessage[t] ?? 50_000), 0);
  }

  /** POST /cosmos/tx/v1beta1/simulate: the gas the transaction would use (signatures not checked). */
  private simulate(res: Parameters<typeof sendJson>[0], body: string) {
    try {
      const bytes = Buffer.from((JSON.parse(body) as { tx_bytes: string }).tx_bytes, 'base64');
      const decoded = decodeTx(bytes);
      const used = AkashEmulator.gasUsed(
        bytes,
        decoded.messages.map((m) => m.typeUrl),
      );
      return sendJson(res, 200, {
        gas_info: { gas_wanted: '0', gas_used: String(used) },
        result: { log: '' },
      });
    } catch (e) {
      return sendJson(res, 400, { code: 3, message: `invalid transaction: ${(e as Error).message}` });
    }
  }

  private broadcast(res: Parameters<typeof sendJson>[0], body: string) {
    const { tx_bytes } = JSON.parse(body) as { tx_bytes: string; mode: string };
    const bytes = Buffer.from(tx_bytes, 'base64');
    const txhash = createHash('sha256').update(bytes).digest('hex').toUpperCase();
    // Errors carry their codespace: 'sdk' for the SDK's own, the module's name for module errors.
    const reply = (code: number, raw_log: string, codespace = code === 0 ? '' : 'sdk') => {
      if (code === 0)
        this.txs.set(txhash, {
          code,
          raw_log,
          height: ++this.height,
          visibleAt: Date.now() + (this.opts.blockMs ?? 30),
        });
      return sendJson(res, 200, { tx_response: { txhash, code, codespace, raw_log, height: '0' } });
    };
    let decoded: ReturnType<typeof decodeTx>;
    try {
      decoded = decodeTx(bytes);
    } catch (e) {
      return reply(2, `tx parse error: ${(e as Error).message}`);
    }
    const info = decoded.raw.authInfo.signerInfos[0];
    const pk = info?.publicKey ? decodePubkey(info.publicKey) : null;
    if (!pk) return reply(4, 'unauthorized: missing public key');
    const signer = pubkeyToAddress(pk, 'akash');
    this.pubkeys.set(signer, Buffer.from(pk.value as string, 'base64'));
    const acct = this.accounts.get(signer);
    if (!acct) return reply(5, `account ${signer} not found: insufficient funds`);
    if (Number(info!.sequence) !== acct.sequence)
      return reply(32, `account sequence mismatch, expected ${acct.sequence}`);
    const txRaw = TxRaw.decode(bytes); // the exact bytes that were signed
    const signDoc = makeSignDoc(txRaw.bodyBytes, txRaw.authInfoBytes, this.chainId, acct.number);
    const ok = Secp256k1.verifySignature(
      Secp256k1Signature.fromFixedLength(decoded.raw.signatures[0]!),
      sha256(makeSignBytes(signDoc)),
      Buffer.from(pk.value as string, 'base64'),
    );
    // Fees: uakt at the validators' minimum gas price, for a gas limit the transaction stays under.
    const fee = decoded.raw.authInfo.fee;
    const gasLimit = Number(fee?.gasLimit ?? 0);
    const feeUakt = Number(fee?.amount.find((c) => c.denom === 'uakt')?.amount ?? 0);
    const needed = AkashEmulator.gasUsed(
      bytes,
      decoded.messages.map((m) => m.typeUrl),
    );
    return Promise.resolve(ok).then((valid) => {
      if (!valid) return reply(4, 'unauthorized: signature verification failed');
      if (feeUakt < Math.ceil(gasLimit * MIN_GAS_PRICE_UAKT))
        return reply(
          13,
          `insufficient fees; got: ${feeUakt}uakt required: ${Math.ceil(gasLimit * MIN_GAS_PRICE_UAKT)}uakt`,
        );
      if (gasLimit < needed)
        return reply(11, `out of gas in location: txSize; gasWanted: ${gasLimit}, gasUsed: ${needed}`);
      if (acct.balance < feeUakt)
        return reply(5, `insufficient funds for fees: ${acct.balance}uakt < ${feeUakt}uakt`);
      for (const m of decoded.messages) {
        // biome-ignore lint/suspicious/noExplicitAny: a decoded protobuf message, checked field by field below
        const v = m.value as Record<string, any>;
        if (m.typeUrl === TYPE_CREATE_DEPLOYMENT) {
          const owner = v.id.owner;
          const dseq = String(v.id.dseq);
          if (owner !== signer) return reply(4, 'unauthorized: signer is not the deployment owner');
          if (this.deployments.has(`${owner}/${dseq}`)) return reply(2, 'deployment exists', 'deployment');
          // Since BME, deposits and placement prices are in uact.
          if (v.deposit?.amount?.denom !== 'uact')
            return reply(
              4,
              `invalid deposit: denom ${v.deposit?.amount?.denom} not accepted, use uact`,
              'deployment',
            );
          type GroupSpec = { resources?: { price?: { denom?: string } }[] };
          const denoms = (v.groups as GroupSpec[]).flatMap((g) =>
            (g.resources ?? []).map((r) => r.price?.denom),
          );
          if (denoms.some((d) => d !== 'uact'))
            return reply(
              4,
              `invalid price denom ${denoms.find((d) => d !== 'uact')}: use uact`,
              'deployment',
            );
          const deposit = Number(v.deposit.amount.amount ?? 0);
          if (deposit < 500_000) return reply(4, 'invalid deposit: minimum is 500000uact', 'deployment');
          if (acct.act < deposit) return reply(5, `insufficient funds: ${acct.act}uact < ${deposit}uact`);
          acct.act -= deposit;
          this.deployments.set(`${owner}/${dseq}`, {
            owner,
            dseq,
            state: 'active',
            created: Date.now(),
            groups: v.groups,
            deposit,
            hash: Buffer.from(v.hash ?? []),
          });
        } else if (m.typeUrl === TYPE_CREATE_LEASE) {
          const id = v.bidId;
          const d = this.deployments.get(`${id.owner}/${String(id.dseq)}`);
          if (d?.state !== 'active') return reply(1110, 'deployment not active');
          if (this.leases.some((l) => l.dseq === d.dseq && l.owner === d.owner && l.state === 'active'))
            return reply(1111, 'lease exists');
          const pr = this.opts.providers.find((x) => x.owner === id.provider);
          if (!pr) return reply(1112, 'unknown bid');
          this.leases.push({
            owner: d.owner,
            dseq: d.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
            provider: pr.owner,
            state: 'active',
            price: String(pr.priceUakt),
            createdAt: Date.now(),
          });
        } else if (m.typeUrl === TYPE_CLOSE_DEPLOYMENT) {
          const d = this.deployments.get(`${v.id.owner}/${String(v.id.dseq)}`);
          if (d?.state !== 'active') return reply(1104, 'deployment closed');
          d.state = 'closed';
          acct.act += d.deposit;
          for (const l of this.leases) {
            if (l.dseq !== d.dseq || l.owner !== d.owner) continue;
            l.state = 'closed';
            // The provider stops the lease's service (close() waits for what is still stopping).
            for (const w of l.workloads ?? []) void w.stop();
          }
        } else if (m.typeUrl === TYPE_MINT_ACT) {
          const burn = Number(v.coinsToBurn?.amount ?? 0);
          if (v.owner !== signer || v.to !== signer)
            return reply(4, 'unauthorized: mint for the signer only');
          if (v.coinsToBurn?.denom !== 'uakt') return reply(3, 'only uakt can be burned to mint ACT', 'bme');
          if (acct.balance < burn + 5000) return reply(5, `insufficient funds: ${acct.balance}uakt`);
          acct.balance -= burn;
          acct.act += Math.floor(burn * (this.opts.aktUsd ?? 1));
        } else {
          return reply(6, `unknown message ${m.typeUrl}`);
        }
      }
      acct.sequence++;
      acct.balance -= feeUakt;
      return reply(0, '[]');
    });
  }

  private async startProvider(pr: EmulatedProvider): Promise<RunningServer> {
    const tls = selfSignedCertificate(pr.owner);
    this.certificates.set(pr.owner, tls);
    const handler = this.providerHttp(pr);
    const running = await startServer(handler, tls);
    this.ingressServers.set(pr.owner, await startServer(handler));
    const wss = new WebSocketServer({ noServer: true });
    running.server.on('upgrade', async (req, socket, head) => {
      this.recordProviderRequest(req, '');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const lm = /^\/lease\/(\d+)\/(\d+)\/(\d+)\/logs$/.exec(url.pathname);
      const iss = await this.issuerOf(req);
      const l =
        lm && this.leases.find((x) => x.dseq === lm[1] && x.provider === pr.owner && x.state === 'active');
      if (!lm || !iss || !l || l.owner !== iss) {
        socket.end(`HTTP/1.1 ${!iss ? '401 Unauthorized' : '404 Not Found'}\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const up = !!l.manifestAt && Date.now() - l.manifestAt >= (this.opts.startupMs ?? 50);
        const lines = l.workloads
          ? l.workloads.flatMap((w) => [...w.stdout, ...w.stderr])
          : up
            ? ['[node] pulled image', '[node] listening on 0.0.0.0:8080']
            : ['[node] pulling image'];
        for (const message of lines) ws.send(JSON.stringify({ name: AKASH_SERVICE_NAME, message }));
        if (url.searchParams.get('follow') !== 'true') return ws.close(1000);
        let n = 0;
        const t = setInterval(
          () => ws.send(JSON.stringify({ name: AKASH_SERVICE_NAME, message: `heartbeat ${++n}` })),
          100,
        );
        ws.on('close', () => clearInterval(t));
      });
    });
    const close = running.close;
    return {
      ...running,
      close: async () => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        await close();
      },
    };
  }

  /**
   * The issuer of an unexpired AEP-64 JWT (`ES256KADR36`: an ADR-036 signArbitrary signature of
   * `header.payload`) whose signature verifies against the issuer's public key as seen on chain.
   */
  private async issuerOf(req: IncomingMessage): Promise<string | undefined> {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (!header || !payload || !signature) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        iss: string;
        exp: number;
      };
      const pubkey = this.pubkeys.get(claims.iss);
      if (!pubkey || claims.exp * 1000 <= Date.now()) return undefined;
      const doc = makeAminoSignDoc(
        [
          {
            type: 'sign/MsgSignData',
            value: { signer: claims.iss, data: Buffer.from(`${header}.${payload}`).toString('base64') },
          },
        ],
        { gas: '0', amount: [] },
        '',
        '',
        0,
        0,
      );
      const valid = await Secp256k1.verifySignature(
        Secp256k1Signature.fromFixedLength(Buffer.from(signature, 'base64url')),
        sha256(serializeSignDoc(doc)),
        pubkey,
      );
      return valid ? claims.iss : undefined;
    } catch {
      return undefined;
    }
  }

  private recordProviderRequest(req: IncomingMessage, body: string) {
    this.providerRequests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: JSON.stringify(req.headers),
      body,
    });
  }

  private providerHttp(pr: EmulatedProvider): Handler {
    return async (req, res, body, url) => {
      this.recordProviderRequest(req, body);
      const p = url.pathname;
      const lease = (dseq: string) =>
        this.leases.find((l) => l.dseq === dseq && l.provider === pr.owner && l.state === 'active');
      const sm = /^\/svc\/(\d+)\/health$/.exec(p);
      if (sm) {
        const l = lease(sm[1]!);
        return l?.manifest
          ? sendJson(res, 200, { state: 'ready' })
          : sendJson(res, 503, { error: 'no such service' });
      }
      // JWT (AEP-64) bearer auth: the token's issuer must own the lease.
      const iss = await this.issuerOf(req);
      if (!iss) return sendJson(res, 401, { message: 'unauthorized' });
      const mm = /^\/deployment\/(\d+)\/manifest$/.exec(p);
      if (mm && req.method === 'PUT') {
        const l = lease(mm[1]!);
        const seen = l && Date.now() - l.createdAt >= (this.opts.providerSeesLeaseMs ?? 150);
        if (!l || l.owner !== iss || !seen) return sendJson(res, 404, { message: 'no lease for deployment' });
        if (pr.diesOnManifest) {
          res.socket?.destroy();
          await this.providerServers.get(pr.owner)?.close();
          return;
        }
        await delay(10);
        const deployment = this.deployments.get(`${l.owner}/${l.dseq}`);
        const version = createHash('sha256').update(body).digest();
        if (!deployment?.hash.equals(version))
          return sendJson(res, 422, { message: 'manifest version validation failed' });
        l.manifest = JSON.parse(body);
        l.manifestAt = Date.now();
        if (this.opts.runWorkloads) await this.runManifest(this.opts.runWorkloads, l);
        res.statusCode = 200;
        return res.end();
      }
      const lm = /^\/lease\/(\d+)\/(\d+)\/(\d+)\/(status|logs)$/.exec(p);
      if (lm) {
        const l = lease(lm[1]!);
        if (!l || l.owner !== iss) return sendJson(res, 404, { message: 'lease not found' });
        if (
          lm[4] === 'status' &&
          l.manifestAt &&
          Date.now() - l.manifestAt < (this.opts.statusAfterManifestMs ?? 100)
        )
          return sendJson(res, 404, { message: 'lease not found' });
        const up = !!l.manifestAt && Date.now() - l.manifestAt >= (this.opts.startupMs ?? 50);
        // Real providers serve logs only as a WebSocket upgrade: a plain GET is a bad request.
        if (lm[4] === 'logs') return sendJson(res, 400, { message: 'websocket upgrade required' });
        // biome-ignore lint/suspicious/noExplicitAny: the manifest is the client's JSON, read defensively
        const count = ((l.manifest as any)?.[0]?.services?.[0]?.count as number) ?? 1;
        const running = l.workloads?.filter((w) => w.state() === 'running');
        const available = running ? running.length : up ? count : 0;
        const uris = running
          ? running.map((w) => w.url)
          : up
            ? [`${this.ingressServers.get(pr.owner)!.url}/svc/${l.dseq}`]
            : [];
        return sendJson(res, 200, {
          services: {
            node: {
              name: 'node',
              available,
              total: count,
              uris,
              ready_replicas: available,
              available_replicas: available,
            },
          },
          forwarded_ports: {},
        });
      }
      return sendJson(res, 404, { message: 'not found' });
    };
  }
}

const AKASH_SERVICE_NAME = 'node';
/** The validators' minimum gas price the emulator enforces (mainnet nodes commonly set 0.025uakt). */
export const MIN_GAS_PRICE_UAKT = 0.025;
