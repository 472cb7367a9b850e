import { generateManifestVersion, JwtTokenManager, manifestToSortedJSON } from '@akashnetwork/chain-sdk';
import { fetch as tlsFetch } from 'undici';
import WebSocket from 'ws';
import { nodeAuthorizer } from '../core/authorize.js';
import { pollUntil, withBackoff } from '../core/backoff.js';
import { defineAdapter, type NetworkAdapter } from '../core/define-adapter.js';
import {
  CapacityError,
  classifyNetworkError,
  errorFromHttpStatus,
  isAdapterError,
  TransientError,
  UserError,
} from '../core/errors.js';
import { httpJson } from '../core/http.js';
import { nodeHealth, untilNodeReady } from '../core/node-ready.js';
import type { DeploymentRecord, LogLine, NodeSpec } from '../core/types.js';
import { type ProviderTrust, providerTrust } from './provider-tls.js';
import { AKASH_SERVICE, generateSdl, manifestFor, type SdlOptions, sdlProblems } from './sdl.js';
import {
  type AkashSigner,
  signerFromMnemonic,
  signTx,
  TYPE_CLOSE_DEPLOYMENT,
  TYPE_CREATE_DEPLOYMENT,
  TYPE_CREATE_LEASE,
  TYPE_MINT_ACT,
} from './tx.js';

export interface AkashConfig extends SdlOptions {
  mnemonic: string;
  /** Chain REST (gRPC-gateway) URL, e.g. https://api.akashnet.net */
  restUrl: string;
  /** Deposit in uact (ACT, pegged to the USD; default 500000). Since BME, deposits in uakt are refused. */
  depositUact?: number;
  /**
   * When the wallet holds less ACT than the deposit: burn this many uakt to mint ACT first
   * (MsgMintACT). Unset: the adapter fails with `no-funds` and says how much ACT is missing.
   */
  mintUakt?: number;
  bidTimeoutMs?: number;
  readyTimeoutMs?: number;
  /** Blocks per hour (≈ 6 s blocks). */
  blocksPerHour?: number;
  /**
   * How long to keep retrying while the provider answers 404 "no lease for deployment" (it has
   * not seen the new lease yet) or lease status 404 right after the manifest (default 60 s).
   */
  leaseVisibleTimeoutMs?: number;
  /** Simulated gas is multiplied by this (default 1.5, the Akash CLI's usual `--gas-adjustment`). */
  gasAdjustment?: number;
  /** uakt paid per unit of gas (default 0.025, the common validator minimum). */
  gasPriceUakt?: number;
  /**
   * When the lease's node reports that it awaits its operator's authorization and the spec
   * names the operator key on this machine (`operatorKeyRef`), authorize it from here, as the
   * self-hosted adapter does (default: on). The key signs here only; the node never receives it.
   */
  authorizeNodes?: boolean;
  /** Money sent to each node's own address when authorizing it (default: see `authorizeNode`). */
  nodeGasWei?: bigint;
}

interface Bid {
  provider: string;
  gseq: number;
  oseq: number;
  bseq: number;
  price: number;
  hostUri: string;
}

export const AKASH_GPU_KINDS = [
  'nvidia-h100',
  'nvidia-a100',
  'nvidia-rtx4090',
  'nvidia-rtx3090',
  'nvidia-a6000',
  'nvidia-t4',
];

export function akashAdapter(config: AkashConfig): NetworkAdapter {
  const name = 'akash';
  const rest = config.restUrl.replace(/\/$/, '');
  let signerP: Promise<AkashSigner> | undefined;
  const signer = () => {
    signerP ??= signerFromMnemonic(config.mnemonic);
    return signerP;
  };
  const get = <T>(path: string, okStatuses?: number[]) =>
    httpJson<T>(`${rest}${path}`, { adapter: name, okStatuses });

  async function broadcast(typeUrl: string, value: unknown): Promise<string> {
    const s = await signer();
    const [latest, account] = await Promise.all([
      get<{ block: { header: { chain_id: string } } }>('/cosmos/base/tendermint/v1beta1/blocks/latest'),
      get<{ account: { account_number: string; sequence: string } } | undefined>(
        `/cosmos/auth/v1beta1/accounts/${s.address}`,
        [404],
      ),
    ]);
    if (!account) {
      throw new UserError('no-funds', `account ${s.address} does not exist on chain (never funded)`, {
        adapter: name,
        hint: 'send AKT to it first',
      });
    }
    const signing = {
      chainId: latest.block.header.chain_id,
      accountNumber: Number(account.account.account_number),
      sequence: Number(account.account.sequence),
    };
    const messages = [{ typeUrl, value }];
    // Gas is simulated, then padded (as the Akash CLI and SDK do), and paid at the gas price.
    const simulated = await httpJson<{ gas_info: { gas_used: string } }>(
      `${rest}/cosmos/tx/v1beta1/simulate`,
      {
        adapter: name,
        method: 'POST',
        body: { tx_bytes: Buffer.from(await signTx(s, messages, signing)).toString('base64') },
      },
    );
    const gas = Math.ceil(Number(simulated.gas_info.gas_used) * (config.gasAdjustment ?? 1.5));
    const feeUakt = Math.ceil(gas * (config.gasPriceUakt ?? 0.025));
    const bytes = await signTx(s, messages, {
      ...signing,
      fee: { amount: [{ denom: 'uakt', amount: String(feeUakt) }], gas: String(gas) },
    });
    const res = await httpJson<{
      tx_response: { txhash: string; code: number; raw_log: string; codespace?: string };
    }>(`${rest}/cosmos/tx/v1beta1/txs`, {
      adapter: name,
      method: 'POST',
      body: { tx_bytes: Buffer.from(bytes).toString('base64'), mode: 'BROADCAST_MODE_SYNC' },
      retry: false,
    });
    const { code, raw_log, txhash, codespace } = res.tx_response;
    if (code !== 0) throw txError(code, raw_log, codespace);
    const included = await pollUntil(
      () =>
        get<{ tx_response: { code: number; raw_log: string; codespace?: string } } | undefined>(
          `/cosmos/tx/v1beta1/txs/${txhash}`,
          [404],
        ),
      { timeoutMs: 30_000, intervalMs: 30 },
    );
    if (!included)
      throw new TransientError('timeout', `tx ${txhash} not included in a block`, { adapter: name });
    if (included.tx_response.code !== 0)
      throw txError(included.tx_response.code, included.tx_response.raw_log, included.tx_response.codespace);
    return txhash;
  }

  /** A transaction error, read with its codespace: module codes (e.g. deployment 4) are not the SDK's. */
  function txError(code: number, log: string, codespace = 'sdk') {
    if (codespace === 'sdk' && code === 5)
      return new UserError('no-funds', log, { adapter: name, hint: 'top up the wallet' });
    if (codespace === 'sdk' && code === 4) return new UserError('bad-credentials', log, { adapter: name });
    if (codespace === 'sdk' && code === 32) return new TransientError('server-error', log, { adapter: name });
    return new UserError(
      'invalid-spec',
      `chain rejected the transaction (${codespace} code ${code}): ${log}`,
      {
        adapter: name,
      },
    );
  }

  const actBalance = async (address: string) =>
    Number(
      (
        await get<{ balance: { amount: string } }>(
          `/cosmos/bank/v1beta1/balances/${address}/by_denom?denom=uact`,
        )
      ).balance.amount,
    );

  /** Makes sure the wallet holds `needed` uact, minting ACT from AKT (MsgMintACT) when configured to. */
  async function ensureAct(address: string, needed: number): Promise<void> {
    const have = await actBalance(address);
    if (have >= needed) return;
    if (!config.mintUakt) {
      throw new UserError(
        'no-funds',
        `wallet ${address} holds ${have}uact; the deposit needs ${needed}uact`,
        {
          adapter: name,
          hint: 'mint ACT first (MsgMintACT), or set mintUakt to let the adapter burn that much AKT for it',
        },
      );
    }
    await broadcast(TYPE_MINT_ACT, {
      owner: address,
      to: address,
      coinsToBurn: { denom: 'uakt', amount: String(config.mintUakt) },
    });
    const after = await actBalance(address);
    if (after < needed) {
      throw new UserError('no-funds', `after minting, wallet ${address} holds ${after}uact < ${needed}uact`, {
        adapter: name,
        hint: 'raise mintUakt',
      });
    }
  }

  const deploymentInfo = async (owner: string, dseq: string) =>
    get<{ deployment: { state: string } } | undefined>(
      `/akash/deployment/v1beta4/deployments/info?id.owner=${owner}&id.dseq=${dseq}`,
      [404],
    );

  async function jwt(s: AkashSigner): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new JwtTokenManager(s.amino).generateToken({
      version: 'v1',
      iss: s.address,
      iat: now,
      nbf: now,
      exp: now + 900,
      leases: { access: 'full' },
    } as never);
  }

  /** Each provider's TLS trust, decided once per host (see provider-tls.ts). */
  const trusted = new Map<string, Promise<ProviderTrust>>();
  function trustOf(bid: Bid): Promise<ProviderTrust> {
    const key = `${bid.provider} ${bid.hostUri}`;
    let trust = trusted.get(key);
    if (!trust) {
      trust = providerTrust(bid.provider, bid.hostUri, get).catch((e) => {
        trusted.delete(key);
        throw isAdapterError(e) ? e : classifyNetworkError(e, `provider ${bid.provider} (TLS)`, name);
      });
      trusted.set(key, trust);
    }
    return trust;
  }

  async function provider(
    path: string,
    record: DeploymentRecord,
    init: { method?: string; body?: string } = {},
  ) {
    const s = await signer();
    const bid = record.data.bid as Bid;
    const { dispatcher } = await trustOf(bid);
    let res: Awaited<ReturnType<typeof tlsFetch>>;
    try {
      res = await tlsFetch(`${bid.hostUri}${path}`, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: { authorization: `Bearer ${await jwt(s)}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(10_000),
        dispatcher,
      });
    } catch (e) {
      throw classifyNetworkError(e, `provider ${bid.provider}`, name);
    }
    if (!res.ok)
      throw errorFromHttpStatus(res.status, `provider ${bid.provider}: ${await res.text()}`, {
        adapter: name,
      });
    return res;
  }

  /** A provider that stays unreachable after retries is a capacity problem: go elsewhere. */
  async function toProvider<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withBackoff(fn, { attempts: 3, baseMs: 100 });
    } catch (e) {
      if (isAdapterError(e) && e.kind === 'transient') {
        throw new CapacityError('provider-failed', `${what}: the provider stopped answering (${e.message})`, {
          adapter: name,
          cause: e,
          hint: 'deploy elsewhere',
        });
      }
      throw e;
    }
  }

  /** A provider's 404 means "not yet" here (it has not seen the lease, or not yet started it). */
  async function notYetOn404<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (isAdapterError(e) && e.code === 'not-found') return undefined;
      throw e;
    }
  }
  const untilProviderSeesLease = <T>(fn: () => Promise<T>) =>
    pollUntil(() => notYetOn404(fn), { timeoutMs: config.leaseVisibleTimeoutMs ?? 60_000, intervalMs: 100 });

  const leaseId = (r: DeploymentRecord) => {
    const b = r.data.bid as Bid;
    return `${r.data.dseq}/${b.gseq}/${b.oseq}`;
  };

  /** The URLs the provider lists for the lease's service now (none while it answers 404). */
  async function leaseEndpoints(record: DeploymentRecord): Promise<string[]> {
    const st = (await notYetOn404(async () =>
      (await provider(`/lease/${leaseId(record)}/status`, record)).json(),
    )) as { services: Record<string, { uris: string[] }> } | undefined;
    return (st?.services[AKASH_SERVICE]?.uris ?? []).map((u) => (/^https?:\/\//.test(u) ? u : `http://${u}`));
  }
  const authorize = nodeAuthorizer({
    ...(config.authorizeNodes !== undefined ? { enabled: config.authorizeNodes } : {}),
    ...(config.nodeGasWei !== undefined ? { gasWei: config.nodeGasWei } : {}),
  });

  return defineAdapter({
    name,
    capabilities: { gpu: AKASH_GPU_KINDS, multiReplica: true, logStreaming: true },
    validate: (spec: NodeSpec) =>
      sdlProblems(generateSdl(spec, config)).map((p) => ({ ...p, path: `sdl.${p.path}` })),
    async quote(spec) {
      // Prices are in uact and one ACT is one US dollar: no AKT price is needed.
      const uact = config.maxUactPerBlock ?? 10_000;
      const usd = (uact / 1e6) * (config.blocksPerHour ?? 600);
      return [
        { adapter: name, pricePerHourUsd: usd, gpu: spec.gpu?.kind ?? 'cpu', gpuCount: spec.gpu?.count ?? 0 },
      ];
    },
    steps: [
      {
        name: 'create-deployment',
        async run({ spec, data, save }) {
          const s = await signer();
          let dseq = data.dseq as string | undefined;
          if (dseq && (await deploymentInfo(s.address, dseq))) return { dseq, owner: s.address };
          const { groups, groupSpecs } = manifestFor(generateSdl(spec, config));
          if (!dseq) {
            const latest = await get<{ block: { header: { height: string } } }>(
              '/cosmos/base/tendermint/v1beta1/blocks/latest',
            );
            dseq = latest.block.header.height;
            await save({ dseq, owner: s.address }); // before broadcasting: a crash can then find it
          }
          const deposit = config.depositUact ?? 500_000;
          await ensureAct(s.address, deposit);
          await broadcast(TYPE_CREATE_DEPLOYMENT, {
            id: { owner: s.address, dseq },
            groups: groupSpecs,
            hash: await generateManifestVersion(groups),
            deposit: { amount: { denom: 'uact', amount: String(deposit) }, sources: [1] },
          });
          return { dseq, owner: s.address };
        },
      },
      {
        name: 'select-bid',
        async run({ data }) {
          const s = await signer();
          type BidsRes = {
            bids: { bid: { id: Omit<Bid, 'price' | 'hostUri'>; state: string; price: { amount: string } } }[];
          };
          const bids = await pollUntil(
            async () => {
              const r = await get<BidsRes>(
                `/akash/market/v1beta5/bids/list?filters.owner=${s.address}&filters.dseq=${data.dseq}&filters.state=open`,
              );
              return r.bids.length ? r.bids : undefined;
            },
            { timeoutMs: config.bidTimeoutMs ?? 30_000, intervalMs: 50 },
          );
          if (!bids) {
            throw new CapacityError(
              'no-bids',
              `no provider bid on deployment ${data.dseq} within ${config.bidTimeoutMs ?? 30_000} ms`,
              {
                adapter: name,
                hint: 'raise the price, relax GPU/provider attributes, or try another network',
              },
            );
          }
          const candidates: Bid[] = [];
          for (const { bid } of bids) {
            const p = await get<{
              provider: { host_uri: string; attributes: { key: string; value: string }[] };
            }>(`/akash/provider/v1beta4/providers/${bid.id.provider}`);
            const attrs = Object.fromEntries(p.provider.attributes.map((a) => [a.key, a.value]));
            const wanted = config.providerAttributes ?? {};
            if (Object.entries(wanted).some(([k, v]) => attrs[k] !== v)) continue;
            candidates.push({
              ...bid.id,
              price: Number.parseFloat(bid.price.amount),
              hostUri: p.provider.host_uri,
            });
          }
          candidates.sort((a, b) => a.price - b.price);
          const best = candidates[0];
          if (!best)
            throw new CapacityError(
              'no-bids',
              `no bid from a provider with attributes ${JSON.stringify(config.providerAttributes)}`,
              { adapter: name },
            );
          return { bid: best };
        },
      },
      {
        name: 'create-lease',
        async run({ data }) {
          const s = await signer();
          const bid = data.bid as Bid;
          const leases = await get<{ leases: { lease: { state: string } }[] }>(
            `/akash/market/v1beta5/leases/list?filters.owner=${s.address}&filters.dseq=${data.dseq}`,
          );
          if (!leases.leases.some((l) => l.lease.state === 'active')) {
            await broadcast(TYPE_CREATE_LEASE, {
              bidId: {
                owner: s.address,
                dseq: data.dseq,
                gseq: bid.gseq,
                oseq: bid.oseq,
                provider: bid.provider,
                bseq: bid.bseq,
              },
            });
          }
          return { leased: true };
        },
      },
      {
        name: 'send-manifest',
        async run({ spec, record }) {
          const { groups } = manifestFor(generateSdl(spec, config));
          const sent = await untilProviderSeesLease(() =>
            toProvider('manifest delivery', () =>
              provider(`/deployment/${record.data.dseq}/manifest`, record, {
                method: 'PUT',
                body: manifestToSortedJSON(groups),
              }),
            ),
          );
          if (!sent) {
            throw new CapacityError(
              'provider-failed',
              `provider never saw lease ${leaseId(record)} (404 until timeout)`,
              {
                adapter: name,
                hint: 'deploy elsewhere',
              },
            );
          }
          return { manifestSent: true };
        },
      },
      {
        name: 'wait-ready',
        async run({ spec, record }) {
          const uris = await pollUntil(
            async () => {
              const st = (await notYetOn404(() =>
                toProvider('lease status', async () =>
                  (await provider(`/lease/${leaseId(record)}/status`, record)).json(),
                ),
              )) as { services: Record<string, { available_replicas: number; uris: string[] }> } | undefined;
              if (!st) return undefined; // 404 just after the manifest: the provider is still setting up
              const svc = st.services[AKASH_SERVICE];
              return svc && svc.available_replicas >= spec.replicas && svc.uris.length ? svc.uris : undefined;
            },
            { timeoutMs: config.readyTimeoutMs ?? 60_000, intervalMs: 50 },
          );
          if (!uris)
            throw new TransientError('timeout', `lease ${leaseId(record)} not ready in time`, {
              adapter: name,
            });
          const endpoints = uris.map((u) => (/^https?:\/\//.test(u) ? u : `http://${u}`));
          for (const url of endpoints) {
            await untilNodeReady({
              url,
              spec,
              adapter: name,
              what: `node ${url} of lease ${leaseId(record)}`,
              timeoutMs: config.readyTimeoutMs ?? 60_000,
              authorize,
              // The provider lists a service's URI while its process runs.
              exited: async () => !(await leaseEndpoints(record)).includes(url),
            });
          }
          return { endpoints };
        },
      },
    ],
    async status(record) {
      if (!record.data.bid || !record.steps.some((s) => s.name === 'send-manifest'))
        return { state: 'provisioning', endpoints: [], replicas: [] };
      try {
        const st = (await (await provider(`/lease/${leaseId(record)}/status`, record)).json()) as {
          services: Record<string, { available_replicas: number; total: number; uris: string[] }>;
        };
        const svc = st.services[AKASH_SERVICE]!;
        const endpoints = svc.uris.map((u) => (/^https?:\/\//.test(u) ? u : `http://${u}`));
        return {
          state:
            svc.available_replicas >= svc.total ? 'running' : svc.available_replicas ? 'degraded' : 'failed',
          endpoints,
          replicas: await Promise.all(
            endpoints.map(async (e, i) => ({
              id: `${AKASH_SERVICE}-${i}`,
              endpoint: e,
              health: (await nodeHealth(e))?.state ?? ('unreachable' as const),
            })),
          ),
        };
      } catch (e) {
        if (isAdapterError(e)) return { state: 'failed', endpoints: [], replicas: [] };
        throw e;
      }
    },
    async *logs(record, opts): AsyncGenerator<LogLine> {
      // Providers serve logs as a WebSocket upgrade of this path, one JSON frame {name, message} a line.
      const bid = record.data.bid as Bid;
      const q = new URLSearchParams({
        follow: String(!!opts.follow),
        ...(opts.tail ? { tail: String(opts.tail) } : {}),
      });
      const url = `${bid.hostUri.replace(/^http/, 'ws')}/lease/${leaseId(record)}/logs?${q}`;
      const { ca } = await trustOf(bid);
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${await jwt(await signer())}` },
        ca,
      });
      for await (const frame of wsFrames(ws, opts.signal, `provider ${bid.provider} logs`)) {
        const { name: service, message } = JSON.parse(frame) as { name: string; message: string };
        yield { replica: service, stream: 'stdout', line: message };
      }
    },
    async teardown(record) {
      const dseq = record.data.dseq as string | undefined;
      if (!dseq) return;
      const s = await signer();
      const info = await deploymentInfo(s.address, dseq);
      if (info && info.deployment.state === 'active')
        await broadcast(TYPE_CLOSE_DEPLOYMENT, { id: { owner: s.address, dseq } });
    },
  });
}

/** The text frames of a WebSocket until it closes or `signal` aborts; a failed upgrade is an adapter error. */
async function* wsFrames(
  ws: WebSocket,
  signal: AbortSignal | undefined,
  what: string,
): AsyncGenerator<string> {
  const queue: string[] = [];
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  ws.on('message', (data) => {
    queue.push(String(data));
    poke();
  });
  ws.on('close', () => {
    done = true;
    poke();
  });
  ws.on('error', (e) => {
    failure = e;
    done = true;
    poke();
  });
  ws.on('unexpected-response', (_req, res) => {
    failure = errorFromHttpStatus(res.statusCode ?? 500, `${what}: upgrade refused`, { adapter: 'akash' });
    done = true;
    poke();
  });
  const onAbort = () => ws.terminate();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (done) break;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    if (failure && !signal?.aborted)
      throw isAdapterError(failure) ? failure : classifyNetworkError(failure, what, 'akash');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ws.terminate();
  }
}
