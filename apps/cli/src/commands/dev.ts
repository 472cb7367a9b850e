import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DeploymentRecord, MemoryRecordStore, selfHostedAdapter } from '@stoa/adapters';
import { DEV_PARAMETERS } from '@stoa/contracts';
import { argmax, importMnistModel, loadMnist } from '@stoa/example-mnist';
import { quantizeInput, run, type SignedReceipt, verifyReceipt } from '@stoa/ir';
import { DEV_KEYS, Deployment } from '@stoa/node';
import { formatEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { step } from '../progress.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface DevOptions {
  /** Run the scenario and exit instead of serving until Ctrl-C. */
  readonly once: boolean;
  /** Which held-out MNIST digit to send. */
  readonly digit: number;
}

type Wire = Omit<SignedReceipt, 'nonce'> & { nonce: string };

/**
 * `stoa dev`: the whole system on one machine with no account anywhere. A local chain with the
 * contracts, the MNIST CNN compiled and registered, and three standard nodes started through
 * the self-hosted adapter (the embedded default network): an honest server, a server made
 * dishonest on purpose, and a watcher auditing both. It sends a live inference to each server,
 * then shows the watcher challenge the dishonest node's claim and the chain slash it.
 */
export async function dev(options: DevOptions): Promise<void> {
  console.log('stoa dev — the whole system on this machine\n');
  const { model } = await step(
    'import examples/mnist/models/cnn.onnx (calibrating on 200 digits)',
    async () => importMnistModel('cnn'),
  );
  const test = loadMnist('test');
  const image = Array.from(test.images.subarray(784 * options.digit, 784 * (options.digit + 1)));
  const label = test.labels[options.digit];
  const local = run(model, [quantizeInput(model.graph, 0, image)]);
  console.log(
    `    reference interpreter: digit #${options.digit} (label ${label}) → ${argmax(local.outputs[0]!.data)}, int logits [${Array.from(local.outputs[0]!.data).join(', ')}]`,
  );

  const d = await step(
    'start a local chain (anvil), deploy the contracts, register the model',
    () => Deployment.start(model, { challengeWindow: 3600n, clockSeconds: 600n }),
    (x) => `${x.chain.rpcUrl}, modelId ${x.modelId}`,
  );
  const adapter = selfHostedAdapter({ baseDir: join(d.dir, 'nodes'), healthTimeoutMs: 120_000 });
  const store = new MemoryRecordStore();
  const running: DeploymentRecord[] = [];
  const provision = async (name: string, key: `0x${string}`, env: Record<string, string>) => {
    const base = d.env(key);
    process.env[`STOA_DEV_KEY_${name.toUpperCase().replace(/-/g, '_')}`] = key;
    const record = await adapter.provision(
      {
        name,
        modelId: d.modelId,
        artifactUrl: base.STOA_ARTIFACT_URL!,
        rpcUrl: d.chain.rpcUrl,
        contractsFile: base.STOA_CONTRACTS_FILE!,
        operatorKeyRef: `env:STOA_DEV_KEY_${name.toUpperCase().replace(/-/g, '_')}`,
        role: env.STOA_ROLE === 'watcher' ? 'watcher' : 'server',
        cwd: ROOT,
        // A local network whose clients agree to be audited: the watcher reads inputs freely.
        env: { STOA_POLL_MS: '300', STOA_BATCH_SIZE: '1', STOA_PUBLIC_INPUTS: 'true', ...env },
      },
      { store },
    );
    running.push(record);
    return (record.data.endpoints as string[])[0]!;
  };
  const stopAll = async () => {
    for (const record of running.reverse()) await adapter.teardown(record, { store }).catch(() => {});
    await d.stop();
  };

  try {
    const honest = await step(
      'start node "honest" (self-hosted, local process)',
      () => provision('honest', DEV_KEYS.nodeA, {}),
      (u) => u,
    );
    const faulty = await step(
      'start node "faulty" (STOA_TEST_FAULT=perturb:3: it gets one layer wrong on purpose)',
      () => provision('faulty', DEV_KEYS.nodeB, { STOA_TEST_FAULT: 'perturb:3' }),
      (u) => u,
    );
    const watcher = await step(
      'start node "watcher" (audits every claim of both)',
      () =>
        provision('watcher', DEV_KEYS.nodeC, {
          STOA_ROLE: 'watcher',
          STOA_WATCH_NODES: `${honest},${faulty}`,
        }),
      (u) => u,
    );

    const domain = { chainId: d.at.chainId, verifyingContract: d.at.claimRegistry };
    for (const [name, url] of [
      ['honest', honest],
      ['faulty', faulty],
    ] as const) {
      await step(
        `POST ${url}/v1/infer (node "${name}")`,
        async () => {
          const response = await fetch(`${url}/v1/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ inputs: [image] }),
          });
          const body = (await response.json()) as {
            outputs: { raw: number[] }[];
            receipt: Wire;
            error?: string;
          };
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.error}`);
          const receipt = { ...body.receipt, nonce: BigInt(body.receipt.nonce) };
          if (!(await verifyReceipt(receipt, domain))) throw new Error('the receipt does not verify');
          return { prediction: argmax(body.outputs[0]!.raw), receipt };
        },
        (r) =>
          `→ ${r.prediction}, receipt signed by ${r.receipt.node}, traceRoot ${r.receipt.traceRoot.slice(0, 18)}…`,
      );
    }

    const faultyAddress = privateKeyToAccount(DEV_KEYS.nodeB).address;
    const honestAddress = privateKeyToAccount(DEV_KEYS.nodeA).address;
    const stake = DEV_PARAMETERS.minStake;
    await step(
      'watcher audits the claims, disputes the wrong one, the game is played on chain',
      async () => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const audit = (
            (await (await fetch(`${watcher}/health`)).json()) as { audit?: { disputesWon?: number } }
          ).audit;
          if ((await d.bondedOf(faultyAddress)) < stake && (audit?.disputesWon ?? 0) >= 1) return;
          await new Promise((r) => setTimeout(r, 300));
        }
        throw new Error('the faulty node was not slashed within 120 s');
      },
      () => 'the faulty node lost the dispute',
    );
    const [honestStake, faultyStake] = [await d.bondedOf(honestAddress), await d.bondedOf(faultyAddress)];
    console.log(`\n    stake of "honest" ${formatEther(honestStake)} ETH (untouched)`);
    console.log(
      `    stake of "faulty" ${formatEther(faultyStake)} ETH (slashed ${formatEther(stake - faultyStake)} ETH)`,
    );
    const health = (await (await fetch(`${watcher}/health`)).json()) as { audit: Record<string, unknown> };
    console.log(`    watcher report    ${JSON.stringify(health.audit)}\n`);
    if (faultyStake >= stake || honestStake !== stake) throw new Error('unexpected stakes after the dispute');

    if (options.once) return;
    console.log('Serving. Try:');
    console.log(`  curl -s ${honest}/health`);
    console.log(`  curl -s ${honest}/metrics | head`);
    console.log('Ctrl-C stops every node and the chain.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  } finally {
    await step('stop the nodes and the chain', stopAll);
  }
}
