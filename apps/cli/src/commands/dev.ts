import type { KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_PARAMETERS, receiptDomainOf } from '@stoa/contracts';
import { argmax, importMnistModel, loadMnist } from '@stoa/example-mnist';
import {
  GATEWAY_SIGNATURE_HEADER,
  type Model,
  quantizeInput,
  run,
  type SignedReceipt,
  verifyReceipt,
} from '@stoa/ir';
import { DEV_KEYS, Deployment } from '@stoa/node';
import {
  DeployEngine,
  databaseUrl,
  gatewayPublicKey,
  gatewaySigningKey,
  signGatewayRequest,
  teardown,
} from '@stoa/sdk';
import { formatEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { bundleServices, type ServiceBundles } from '../dev/bundle.js';
import { DevNodes } from '../dev/nodes.js';
import {
  createDevKey,
  DEV_MODEL_NAME,
  type DevProject,
  devAccountKey,
  openDevProject,
  recordDevDeployment,
  writeDevChainFile,
  writeDevStackFile,
  writeGatewaySecret,
} from '../dev/project.js';
import type { Service } from '../dev/service.js';
import { startConsoleProcess, startGatewayProcess } from '../dev/stack.js';
import { step } from '../progress.js';

export interface DevOptions {
  /** Run the scenario and exit instead of serving until Ctrl-C. */
  readonly once: boolean;
  /** Which held-out MNIST digit to send. */
  readonly digit: number;
  /** The project directory to serve (default: a temporary one, removed on exit). */
  readonly project?: string;
  /** Start the web console (default true). */
  readonly console: boolean;
}

type Wire = Omit<SignedReceipt, 'nonce'> & { nonce: string };

/**
 * `stoa dev`: the whole product on one machine with no account anywhere. A local chain with the
 * contracts, the MNIST CNN compiled and registered, a project with its SQLite database, three
 * standard nodes: an honest server on io.net and a server made dishonest on purpose on Akash
 * (both networks emulated here and reached through their real adapters, each container run as
 * a process), and a watcher auditing both through the self-hosted adapter (the embedded default
 * network); the gateway
 * in front of the two servers and the web console, each its own process on 127.0.0.1. It sends
 * a live inference to each server and a few through the gateway with a fresh API key, then
 * shows the watcher challenge the dishonest node's claim and the chain slash it.
 */
export async function dev(options: DevOptions): Promise<void> {
  console.log('stoa dev — the whole system on this machine\n');
  // Ctrl-C while starting stops what was started so far; once serving, it ends the wait below.
  const cleanups: (() => Promise<unknown>)[] = [];
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let serving = false;
  void interrupted.then(async () => {
    if (serving) return;
    console.log('\n  interrupted while starting: stopping what was started');
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    process.exit(130);
  });
  /** A service's stop joins the cleanups as soon as it is running. */
  const started = <T extends Service | undefined>(p: Promise<T>) =>
    p.then((service) => {
      if (service) cleanups.unshift(() => service.stop());
      return service;
    });
  // The bundles the nodes and the gateway start from (bundleServices), made meanwhile.
  const bundling = bundleServices();
  bundling.catch(() => undefined); // reported where it is awaited
  cleanups.push(() => bundling.then((b) => b.remove()).catch(() => undefined));
  try {
    const project = await step(
      'open the project and its SQLite database',
      () => openDevProject(options.project),
      (p) => `${p.dir}${p.temporary ? ' (temporary)' : ''}`,
    );
    // A deployment made from the console meanwhile (its nodes, chain and artifact store) goes too.
    cleanups.push(async () => teardown(new DeployEngine(project.config, project.db)));
    cleanups.push(async () => {
      await project.db.$disconnect();
      if (project.temporary) rmSync(project.dir, { recursive: true, force: true });
    });
    // The console (a Next.js server, the slowest process to come up) starts first, while the
    // model imports in this process and the chain starts. The gateway's key is made before it,
    // so that what the console deploys serves this gateway.
    const gatewaySecret = writeGatewaySecret(project.stoaDir);
    const gatewayKey = gatewayPublicKey(gatewaySigningKey(gatewaySecret.secret));
    const consoleStarting = started(
      options.console
        ? startConsoleProcess(project.dir, project.stoaDir, gatewayKey)
        : Promise.resolve(undefined),
    );
    consoleStarting.catch(() => undefined); // reported where it is awaited
    try {
      const { model } = await step(
        'import examples/mnist/models/cnn.onnx (calibrating on 200 digits)',
        async () => importMnistModel('cnn'),
      );
      const image = referenceAnswer(model, options.digit);
      const d = await step(
        'start a local chain (anvil), deploy the contracts, register the model',
        () => Deployment.start(model, { challengeWindow: 3600n, clockSeconds: 600n }),
        (x) => `${x.chain.rpcUrl}, modelId ${x.modelId}`,
      );
      cleanups.unshift(() => d.stop());
      // A deploy from the console lands on this chain (the deploy engine reuses it, never stops it).
      const forgetChain = writeDevChainFile(project.stoaDir, {
        rpcUrl: d.chain.rpcUrl,
        contractsFile: join(d.dir, 'addresses.json'),
        addresses: d.at,
      });
      cleanups.unshift(async () => forgetChain());
      const bundles = await step(
        'bundle the node and the gateway (esbuild)',
        () => bundling,
        (b) => `${b.node.at(-1)!.replace(/[^/]+$/, '')}{node,gateway}.mjs`,
      );
      await serve(options, project, d, model, image, bundles, consoleStarting, gatewaySecret);
    } finally {
      // A console that failed or is still starting is awaited, so no process outlives the cleanups.
      await consoleStarting.catch(() => undefined);
    }
  } finally {
    const started = options.console ? 'the console, the gateway' : 'the gateway';
    await step(`stop ${started}, the nodes and the chain`, async () => {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    });
  }

  /** Starts the gateway; waits for it and the console (started earlier) to answer. */
  async function startServices(
    project: DevProject,
    d: Deployment,
    secretFile: string,
    gatewayCommand: readonly string[],
    consoleStarting: Promise<Service | undefined>,
  ) {
    const gateway = started(
      startGatewayProcess({
        stoaDir: project.stoaDir,
        databaseUrl: databaseUrl(project.dir),
        rpcUrl: d.chain.rpcUrl,
        contractsFile: join(d.dir, 'addresses.json'),
        secretFile,
        // Account 9: the deploy engine's operators take accounts 4–9 from slot 0 up, so a console
        // deploy's first node never shares the gateway's nonce sequence.
        challengerKey: devAccountKey(9),
        command: gatewayCommand,
      }),
    );
    // Both settle before either failure is reported, so that no process outlives the cleanups.
    const [g, c] = await Promise.allSettled([gateway, consoleStarting]);
    if (g.status === 'rejected') throw g.reason;
    if (c.status === 'rejected') throw c.reason;
    return { gateway: g.value, console: c.value };
  }

  async function serve(
    options: DevOptions,
    project: DevProject,
    d: Deployment,
    model: Model,
    image: number[],
    bundles: ServiceBundles,
    consoleStarting: Promise<Service | undefined>,
    gatewaySecret: { file: string; secret: Buffer },
  ) {
    const nodes = new DevNodes(d, bundles.node);
    cleanups.unshift(() => nodes.stop());
    const deployment = await recordDevDeployment(project, model, `file://${join(d.dir, 'model.stoa')}`);
    // The nodes take inference only with the gateway's signature: they get its public key.
    const signedAs = { key: gatewaySigningKey(gatewaySecret.secret), deploymentId: deployment.deploymentId };
    const gatewayAccess = {
      STOA_GATEWAY_PUBLIC_KEY: gatewayPublicKey(signedAs.key),
      STOA_GATEWAY_DEPLOYMENT_ID: deployment.deploymentId,
    };
    // The gateway and the console start beside the nodes (the console may have to build first).
    const services = startServices(project, d, gatewaySecret.file, bundles.gateway, consoleStarting);
    services.catch(() => undefined); // reported where it is awaited, after the nodes
    const [honest, faulty] = await step(
      'start node "honest" on io.net and node "faulty" on Akash (both emulated here, reached through their adapters; each container runs as a process) — "faulty" has STOA_TEST_FAULT=perturb:3: it gets one layer wrong on purpose',
      () =>
        Promise.all([
          nodes.start('honest', DEV_KEYS.nodeA, gatewayAccess, 'ionet'),
          nodes.start('faulty', DEV_KEYS.nodeB, { ...gatewayAccess, STOA_TEST_FAULT: 'perturb:3' }, 'akash'),
        ]),
      (urls) =>
        `${urls.join(', ')} (io.net's API emulated at ${nodes.ionetEmulator?.url}, Akash's chain at ${nodes.akashEmulator?.restUrl})`,
    );
    const watcher = await step(
      'start node "watcher" (self-hosted, a local process; audits every claim of both)',
      () =>
        nodes.start('watcher', DEV_KEYS.nodeC, {
          STOA_ROLE: 'watcher',
          STOA_WATCH_NODES: `${honest},${faulty}`,
        }),
      (u) => u,
    );
    await deployment.addReplica('honest', honest, 'ionet');
    await deployment.addReplica('faulty', faulty, 'akash');
    const { gateway, console: consoleService } = await step(
      options.console
        ? 'the gateway and the web console (their own processes) answer'
        : 'the gateway (its own process) answers',
      () => services,
      (s) => `gateway ${s.gateway.ready}${s.console ? `, console ${s.console.ready}` : ''}`,
    );
    writeDevStackFile(project.stoaDir, {
      rpcUrl: d.chain.rpcUrl,
      chainId: d.chain.chainId,
      contractsFile: join(d.dir, 'addresses.json'),
      gatewayUrl: gateway.ready,
      deploymentId: deployment.deploymentId,
      modelName: DEV_MODEL_NAME,
    });
    const apiKey = await step(
      'create an API key',
      () => createDevKey(project),
      (k) => `${k.slice(0, 12)}…`,
    );

    const domain = receiptDomainOf(d.at);
    for (const [name, url] of [
      ['honest', honest],
      ['faulty', faulty],
    ] as const) {
      await step(
        `POST ${url}/v1/infer (node "${name}", signed with the gateway's key)`,
        () => inferDirect(url, signedAs, image, domain),
        (r) =>
          `→ ${r.prediction}, receipt signed by ${r.receipt.node}, traceRoot ${r.receipt.traceRoot.slice(0, 18)}…`,
      );
    }
    await step(
      'the gateway sees both replicas healthy',
      () => waitForHealthyReplicas(gateway.ready, apiKey, 2),
      (n) => `${n} of 2`,
    );
    await step(
      `POST ${gateway.ready}/v1/models/${DEV_MODEL_NAME}/infer, two at a time (through the gateway, with the API key)`,
      () => inferOnEveryNetwork(gateway.ready, apiKey, image, ['ionet', 'akash']),
      (a) => `answered by ${a.join(', ')}`,
    );

    await watchTheSlash(d, watcher);

    console.log(`\n  Console  ${consoleService ? consoleService.ready : '(not started: --no-console)'}`);
    console.log(`  Gateway  ${gateway.ready}`);
    console.log(`  API key  ${apiKey}   (shown once; the database keeps only its hash)`);
    console.log(`  Project  ${project.dir}\n`);
    if (options.once) return;
    console.log('Serving. Try:');
    console.log(
      `  curl -s ${gateway.ready}/v1/models/${DEV_MODEL_NAME}/infer -H 'authorization: Bearer ${apiKey.slice(0, 8)}…' -d '{"inputs":[[...784 pixels]]}'`,
    );
    console.log('Ctrl-C stops every process (console, gateway, nodes, chain).');
    serving = true;
    await interrupted;
  }
}

/** The held-out digit `digit` as pixels, after printing what the reference interpreter makes of it. */
function referenceAnswer(model: Model, digit: number): number[] {
  const test = loadMnist('test');
  const image = Array.from(test.images.subarray(784 * digit, 784 * (digit + 1)));
  const local = run(model, [quantizeInput(model.graph, 0, image)]);
  console.log(
    `    reference interpreter: digit #${digit} (label ${test.labels[digit]}) → ${argmax(local.outputs[0]!.data)}, int logits [${Array.from(local.outputs[0]!.data).join(', ')}]`,
  );
  return image;
}

async function inferDirect(
  url: string,
  signedAs: { key: KeyObject; deploymentId: string },
  image: number[],
  domain: { chainId: number; verifyingContract: `0x${string}` },
) {
  const body = Buffer.from(JSON.stringify({ inputs: [image] }));
  const signature = signGatewayRequest(signedAs.key, {
    method: 'POST',
    path: '/v1/infer',
    deploymentId: signedAs.deploymentId,
    body,
  });
  const response = await fetch(`${url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [GATEWAY_SIGNATURE_HEADER]: signature },
    body,
  });
  const answer = (await response.json()) as { outputs: { raw: number[] }[]; receipt: Wire; error?: string };
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${answer.error}`);
  const receipt = { ...answer.receipt, nonce: BigInt(answer.receipt.nonce) };
  if (!(await verifyReceipt(receipt, domain))) throw new Error('the receipt does not verify');
  return { prediction: argmax(answer.outputs[0]!.raw), receipt };
}

/**
 * Waits until the gateway's catalog (refreshed from the database each second, replicas probed
 * each half second) lists the dev model with `want` healthy replicas, so the first inference
 * does not race the replicas just registered.
 */
async function waitForHealthyReplicas(gatewayUrl: string, apiKey: string, want: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  let healthy = 0;
  while (Date.now() < deadline) {
    const response = await fetch(`${gatewayUrl}/v1/models`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (response.status === 200) {
      const body = (await response.json()) as { data: { id: string; replicas: { healthy: boolean }[] }[] };
      const model = body.data.find((m) => m.id === DEV_MODEL_NAME);
      healthy = model?.replicas.filter((r) => r.healthy).length ?? 0;
      if (healthy >= want) return healthy;
    } else await response.body?.cancel();
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `after 120 s the gateway sees ${healthy} of ${want} replicas of "${DEV_MODEL_NAME}" healthy`,
  );
}

async function inferThroughGateway(gatewayUrl: string, apiKey: string, image: number[]): Promise<string> {
  const response = await fetch(`${gatewayUrl}/v1/models/${DEV_MODEL_NAME}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ inputs: [image] }),
  });
  const body = (await response.json()) as {
    network?: string;
    receipt?: { node: string };
    error?: { message: string };
  };
  if (response.status !== 200) throw new Error(`gateway HTTP ${response.status}: ${body.error?.message}`);
  return `${body.network}/${body.receipt?.node.slice(0, 10)}…`;
}

/**
 * Requests through the gateway, two at a time (its router spreads concurrent requests over the
 * replicas: lower expected wait wins), until each of `networks` has answered one. The gateway
 * adds a replica once it has read it from the database and seen it healthy, so a network may
 * join after the first answers: rounds go on for up to 30 s, then the step names the missing one.
 */
async function inferOnEveryNetwork(
  gatewayUrl: string,
  apiKey: string,
  image: number[],
  networks: readonly string[],
): Promise<string[]> {
  const answers: string[] = [];
  const missing = () => networks.filter((n) => !answers.some((a) => a.startsWith(`${n}/`)));
  for (const until = Date.now() + 30_000; missing().length > 0; ) {
    if (Date.now() > until) {
      throw new Error(
        `no answer from ${missing().join(', ')} within 30 s (answered by ${answers.join(', ')})`,
      );
    }
    answers.push(...(await Promise.all([0, 1].map(() => inferThroughGateway(gatewayUrl, apiKey, image)))));
    if (missing().length > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return answers;
}

async function watchTheSlash(d: Deployment, watcher: string): Promise<void> {
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
  console.log(`    watcher report    ${JSON.stringify(health.audit)}`);
  if (faultyStake >= stake || honestStake !== stake) throw new Error('unexpected stakes after the dispute');
}
