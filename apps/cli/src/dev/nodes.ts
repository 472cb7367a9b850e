import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AkashEmulator,
  akashAdapter,
  DEFAULT_NODE_COMMAND,
  type DeploymentRecord,
  IonetEmulator,
  ionetAdapter,
  MemoryRecordStore,
  type NetworkAdapter,
  type NodeSpecInput,
  selfHostedAdapter,
  signerFromMnemonic,
} from '@stoa/adapters';
import type { Deployment } from '@stoa/node';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Where a node of `stoa dev` runs: this machine through the self-hosted adapter (the embedded
 * network), or io.net or Akash, each emulated on this machine and reached through its real
 * adapter. Names as the deploy engine records them in a replica's `network`.
 */
export type DevNetwork = 'self-hosted' | 'ionet' | 'akash';

/**
 * The Akash wallet of `stoa dev`: anvil's public dev mnemonic (a valid BIP-39 phrase), funded on
 * the emulated Akash chain only; like anvil's accounts it is public knowledge and holds nothing.
 */
const DEV_AKASH_MNEMONIC = 'test test test test test test test test test test test junk';

interface Network {
  readonly adapter: NetworkAdapter;
  /** What this network adds to a node's spec (a GPU for io.net, the working directory for a process). */
  readonly spec: Partial<NodeSpecInput>;
  close(): Promise<void>;
}

/**
 * The nodes of `stoa dev`, each started through its network's adapter as a deploy would: the
 * adapter sends the node's environment (never a key), the node makes its own key, and the
 * adapter authorizes it from here with the operator key handed over by reference, staking the
 * operator on the dev chain first (`nodeAuthorizer` of @stoa/adapters, the same for every network).
 */
export class DevNodes {
  private readonly store = new MemoryRecordStore();
  private readonly running: { network: Network; record: DeploymentRecord }[] = [];
  private readonly networks = new Map<DevNetwork, Promise<Network>>();
  private readonly command: readonly string[];

  /** `command`: how a node starts (default: `node --import tsx apps/node/src/main.ts`). */
  constructor(
    private readonly chain: Deployment,
    command?: readonly string[],
  ) {
    this.command = command ?? DEFAULT_NODE_COMMAND;
  }

  /** io.net's emulator, once a node was started there (its containers' processes: `workloads()`). */
  ionetEmulator?: IonetEmulator;
  /** Akash's emulator (chain and provider), once a node was started there. */
  akashEmulator?: AkashEmulator;

  /** Starts one node on `network`; returns its endpoint. Its operator key is handed over by reference. */
  async start(
    name: string,
    key: `0x${string}`,
    env: Record<string, string>,
    network: DevNetwork = 'self-hosted',
  ): Promise<string> {
    const base = this.chain.env(key);
    const keyVar = `STOA_DEV_KEY_${name.toUpperCase().replace(/-/g, '_')}`;
    process.env[keyVar] = key;
    const net = await this.network(network);
    const record = await net.adapter.provision(
      {
        name,
        modelId: this.chain.modelId,
        artifactUrl: base.STOA_ARTIFACT_URL!,
        rpcUrl: this.chain.chain.rpcUrl,
        contractsFile: base.STOA_CONTRACTS_FILE!,
        operatorKeyRef: `env:${keyVar}`,
        role: env.STOA_ROLE === 'watcher' ? 'watcher' : 'server',
        ...net.spec,
        // A local network whose clients agree to be audited: the watcher reads inputs freely.
        env: { STOA_POLL_MS: '300', STOA_BATCH_SIZE: '1', STOA_PUBLIC_INPUTS: 'true', ...env },
      },
      { store: this.store },
    );
    this.running.push({ network: net, record });
    const endpoint = (await net.adapter.status(record)).endpoints[0];
    if (!endpoint) throw new Error(`node ${name} on ${network} is running but reports no endpoint`);
    return endpoint;
  }

  /** Tears every node down through its adapter, then stops the emulated networks. */
  async stop(): Promise<void> {
    for (const { network, record } of this.running.reverse())
      await network.adapter.teardown(record, { store: this.store }).catch(() => {});
    for (const network of this.networks.values()) await (await network).close().catch(() => {});
  }

  private network(name: DevNetwork): Promise<Network> {
    let network = this.networks.get(name);
    if (!network) {
      network =
        name === 'ionet'
          ? this.startIonet()
          : name === 'akash'
            ? this.startAkash()
            : Promise.resolve(this.selfHosted());
      this.networks.set(name, network);
    }
    return network;
  }

  private selfHosted(): Network {
    const adapter = selfHostedAdapter({
      baseDir: join(this.chain.dir, 'nodes'),
      healthTimeoutMs: 120_000,
      command: [...this.command],
    });
    return { adapter, spec: { cwd: ROOT }, close: async () => {} };
  }

  /**
   * io.net's container API emulated on a loopback port, running each container's workload (the
   * node image's entrypoint: the same node command) as a process of its own. The account's API
   * key is made here and lives in this process only.
   */
  private async startIonet(): Promise<Network> {
    const apiKey = randomBytes(24).toString('base64url');
    const emulator = await new IonetEmulator({
      apiKey,
      runWorkloads: { command: this.command, cwd: ROOT, dir: join(this.chain.dir, 'ionet') },
    }).start();
    this.ionetEmulator = emulator;
    return {
      adapter: ionetAdapter({ apiKey, baseUrl: emulator.url, readyTimeoutMs: 120_000 }),
      spec: { gpu: { kind: 'nvidia-rtx4090', count: 1 } },
      close: () => emulator.close(),
    };
  }

  /**
   * Akash emulated on loopback ports: its chain's REST API (the wallet funded there) and one
   * provider that bids, takes the manifest and runs its service (the node command) as processes.
   */
  private async startAkash(): Promise<Network> {
    const { address } = await signerFromMnemonic(DEV_AKASH_MNEMONIC);
    const emulator = await new AkashEmulator({
      accounts: { [address]: 100_000_000 },
      providers: [{ owner: 'akash1stoadevprovider0000000000000000000000', attributes: {}, priceUakt: 900 }],
      runWorkloads: { command: this.command, cwd: ROOT, dir: join(this.chain.dir, 'akash') },
    }).start();
    this.akashEmulator = emulator;
    return {
      adapter: akashAdapter({
        mnemonic: DEV_AKASH_MNEMONIC,
        restUrl: emulator.restUrl,
        readyTimeoutMs: 120_000,
      }),
      spec: { gpu: { kind: 'nvidia-rtx4090', count: 1 } },
      close: () => emulator.close(),
    };
  }
}
