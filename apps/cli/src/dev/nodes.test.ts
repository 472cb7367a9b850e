import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { processesWithEnv } from '@stoa/adapters';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { verifyReceipt } from '@stoa/ir';
import { DEV_KEYS, Deployment } from '@stoa/node';
import { databaseUrl, gatewayPublicKey, gatewaySigningKey } from '@stoa/sdk';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, stoa } from '../testing/harness.js';
import { bundleServices, type ServiceBundles } from './bundle.js';
import { DevNodes } from './nodes.js';
import {
  createDevKey,
  DEV_MODEL_NAME,
  type DevProject,
  devAccountKey,
  openDevProject,
  recordDevDeployment,
  writeDevStackFile,
  writeGatewaySecret,
} from './project.js';
import type { Service } from './service.js';
import { startGatewayProcess } from './stack.js';

// `stoa dev`'s nodes on its emulated networks (io.net, Akash), with `stoa dev`'s own parts: the chain, the project database,
// the gateway process and DevNodes. The whole `stoa dev` runs in apps/console/src/browser.test.ts.
const TAG = `dev-ionet-${randomUUID()}`;
let d: Deployment;
let bundles: ServiceBundles;
let project: DevProject;
let nodes: DevNodes;
let gateway: Service | undefined;

beforeAll(async () => {
  const bundling = bundleServices();
  const { model } = importMnistModel('mlp');
  [d, bundles, project] = await Promise.all([
    Deployment.start(model, { challengeWindow: 3600n }),
    bundling,
    openDevProject(undefined),
  ]);
  nodes = new DevNodes(d, bundles.node);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await nodes?.stop();
  for (const pid of await processesWithEnv('STOA_TEST_TAG', TAG)) process.kill(pid, 'SIGKILL');
  await d?.stop();
  bundles?.remove();
  if (project) {
    await project.db.$disconnect();
    rmSync(project.dir, { recursive: true, force: true });
  }
});

describe('stoa dev nodes on emulated networks', () => {
  it('serves through the gateway from an io.net and an Akash replica whose containers run the real node, and leaves no process behind', async () => {
    const deployment = await recordDevDeployment(project, d.model, `file://${join(d.dir, 'model.stoa')}`);
    const secret = writeGatewaySecret(project.stoaDir);
    const env = {
      STOA_GATEWAY_PUBLIC_KEY: gatewayPublicKey(gatewaySigningKey(secret.secret)),
      STOA_GATEWAY_DEPLOYMENT_ID: deployment.deploymentId,
      STOA_TEST_TAG: TAG,
    };
    const [ionet, akash, started] = await Promise.all([
      nodes.start('on-ionet', DEV_KEYS.nodeA, env, 'ionet'),
      nodes.start('on-akash', DEV_KEYS.nodeB, env, 'akash'),
      startGatewayProcess({
        stoaDir: project.stoaDir,
        databaseUrl: databaseUrl(project.dir),
        rpcUrl: d.chain.rpcUrl,
        contractsFile: join(d.dir, 'addresses.json'),
        secretFile: secret.file,
        challengerKey: devAccountKey(9),
        command: bundles.gateway,
      }),
    ]);
    gateway = started;
    // Each network's container is a process of its own, reached at the URL the network reports.
    const workloads = [...nodes.ionetEmulator!.workloads(), ...nodes.akashEmulator!.workloads()];
    expect(workloads.map((w) => w.url)).toEqual([ionet, akash]);
    expect((await processesWithEnv('STOA_TEST_TAG', TAG)).sort()).toEqual(workloads.map((w) => w.pid).sort());
    const signers = new Map<string, string>();
    for (const [network, url, key] of [
      ['ionet', ionet, DEV_KEYS.nodeA],
      ['akash', akash, DEV_KEYS.nodeB],
    ] as const) {
      // Its own key (not the operator's), authorized on chain by the operator from this machine.
      const health = (await (await fetch(`${url}/health`)).json()) as Record<string, string>;
      const operator = privateKeyToAccount(key).address;
      expect(health).toMatchObject({ state: 'ready', role: 'server', operator });
      expect(health.node).not.toBe(operator);
      signers.set(health.node!.toLowerCase(), network);
      await deployment.addReplica(network, url, network);
    }
    expect(workloads.every((w) => w.stdout.join('\n').includes('"msg":"listening"'))).toBe(true);

    // Through the gateway, two at a time, until both networks answered: each receipt verifies
    // and is signed by the key of the node on the network the gateway names. (The gateway adds
    // each replica when it has read it from the database and seen it healthy, so the second
    // network may join some time after the first answers: rounds go on for up to 30 s.)
    const key = await createDevKey(project);
    const digit = Array.from(loadMnist('test').images.subarray(0, 784));
    const domain = { chainId: d.at.chainId, verifyingContract: d.at.claimRegistry };
    const answeredBy = new Set<string>();
    for (const until = Date.now() + 30_000; answeredBy.size < 2 && Date.now() < until; ) {
      for (const answer of await Promise.all([0, 1].map(() => inferWhenRouted(gateway!.ready, key, digit)))) {
        expect(signers.get(answer.receipt.node.toLowerCase())).toBe(answer.network);
        const receipt = { ...answer.receipt, nonce: BigInt(answer.receipt.nonce) };
        expect(await verifyReceipt(receipt as never, domain)).toBe(true);
        answeredBy.add(answer.network);
      }
      if (answeredBy.size < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect([...answeredBy].sort()).toEqual(['akash', 'ionet']);

    // `stoa infer` in the project finds `stoa dev`'s gateway (.stoa/dev.json) and calls it with
    // STOA_API_KEY, as an API client would; without a key it says which variable to set. (`stoa
    // dev`'s own deployment is not the project's: `--model` names it.)
    writeDevStackFile(project.stoaDir, {
      rpcUrl: d.chain.rpcUrl,
      chainId: d.at.chainId,
      contractsFile: join(d.dir, 'addresses.json'),
      gatewayUrl: started.ready,
      deploymentId: deployment.deploymentId,
      modelName: DEV_MODEL_NAME,
    });
    const input = JSON.stringify({ inputs: [digit] });
    const [viaCli, keyless] = await Promise.all([
      stoa(['infer', '--model', DEV_MODEL_NAME, '--input', input, '--json'], project.dir, {
        STOA_API_KEY: key,
      }),
      stoa(['infer', '--model', DEV_MODEL_NAME, '--input', input], project.dir, { STOA_API_KEY: '' }),
    ]);
    const cliAnswer = json<{ endpoint: string; receipt: { node: string; nonce: string } }>(viaCli);
    expect([`${started.ready} (ionet)`, `${started.ready} (akash)`], viaCli.stdout).toContain(
      cliAnswer.endpoint,
    );
    expect(signers.has(cliAnswer.receipt.node.toLowerCase())).toBe(true);
    expect(
      await verifyReceipt({ ...cliAnswer.receipt, nonce: BigInt(cliAnswer.receipt.nonce) } as never, domain),
    ).toBe(true);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('set STOA_API_KEY');
    expect(keyless.stderr + keyless.stdout).not.toContain(key);

    await nodes.stop();
    expect(nodes.ionetEmulator!.workloads()).toEqual([]);
    expect(nodes.akashEmulator!.workloads()).toEqual([]);
    expect(await processesWithEnv('STOA_TEST_TAG', TAG)).toEqual([]);
  }, 180_000);
});

/** The gateway reads new replicas from the database each second: retries until it routes. */
async function inferWhenRouted(gatewayUrl: string, key: string, digit: number[]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${gatewayUrl}/v1/models/${DEV_MODEL_NAME}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ inputs: [digit] }),
    });
    const body = (await response.json()) as {
      network: string;
      receipt: { node: string; nonce: string } & Record<string, unknown>;
    };
    if (response.status === 200 || Date.now() > deadline) {
      expect(response.status, JSON.stringify(body)).toBe(200);
      return body;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
