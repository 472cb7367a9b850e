import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseUrl, gatewayPublicKey, gatewaySigningKey, openDatabase } from '@stoa/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  akashNetwork,
  type Emulators,
  ionetNetwork,
  json,
  setNetworks,
  startEmulators,
  stoa,
} from './testing/harness.js';

/**
 * Dry run, failover and the budget, against the Akash and io.net emulators (and, for 5xx, a
 * server that answers every request with 502). One project is scaffolded, then copied per case.
 */
const root = mkdtempSync(join(tmpdir(), 'stoa-plan-'));
let emulators: Emulators;
let noBids: Emulators;
let failing: Server;
let failingUrl: string;

beforeAll(async () => {
  emulators = await startEmulators();
  noBids = await startEmulators({
    akashProviders: [
      { owner: 'akash1provnobids00000000000000000000000000', attributes: {}, priceUakt: 900, bids: false },
    ],
  });
  failing = createServer((_req, res) => res.writeHead(502).end('bad gateway')).listen(0, '127.0.0.1');
  await new Promise((r) => failing.once('listening', r));
  failingUrl = `http://127.0.0.1:${(failing.address() as { port: number }).port}`;
  expect((await stoa(['init', 'template'], root)).code).toBe(0);
}, 600_000);
afterAll(() => {
  failing?.close();
  rmSync(root, { recursive: true, force: true });
});

function project(name: string, networks: string, maxPerHour = 10): string {
  const dir = join(root, name);
  cpSync(join(root, 'template'), dir, { recursive: true });
  setNetworks(dir, networks, maxPerHour);
  return dir;
}

async function rows(dir: string) {
  const db = await openDatabase(databaseUrl(dir));
  try {
    return {
      deployments: await db.deployment.count(),
      replicas: await db.replica.count(),
      decisions: (await db.deploymentEvent.findMany({ where: { outcome: 'decision' } })).map((e) => e.detail),
    };
  } finally {
    await db.$disconnect();
  }
}

interface Deployed {
  plan: { placements: { network: string; reason: string }[]; decisions: string[] };
  endpoints: string[];
}

describe('deploy planning', { timeout: 600_000 }, () => {
  it('--dry-run prints the plan with quotes from every network and creates nothing', async () => {
    const dir = project('dry', `['self-hosted', ${akashNetwork(emulators)}, ${ionetNetwork(emulators)}]`);
    const result = await stoa(['deploy', '--dry-run', '--json'], dir, emulators.env);
    const { plan } = json<{
      plan: { quotes: { network: string; best?: { pricePerHourUsd: number } }[]; perHourUsd: number };
    }>(result);
    expect(plan.quotes.map((q) => [q.network, q.best?.pricePerHourUsd])).toEqual([
      ['self-hosted', 0],
      ['akash', 6],
      ['ionet', 0.39],
    ]);
    expect(plan.perHourUsd).toBeCloseTo(6.39);
    const human = await stoa(['deploy', '--dry-run'], dir, emulators.env);
    expect(human.stdout).toMatch(/akash +nvidia-rtx4090 .* 6\.0000 +✔/);
    expect(human.stdout).toContain('would deploy:');
    expect(await rows(dir)).toMatchObject({ deployments: 0, replicas: 0 });
    expect(emulators.active()).toBe(0);
    expect(existsSync(join(dir, '.stoa', 'chain.json'))).toBe(false);
    expect(existsSync(join(dir, '.stoa', 'store.json'))).toBe(false);
  });

  it('a plan over budget is refused with the numbers, and nothing is created', async () => {
    const dir = project('budget', `[${akashNetwork(emulators)}, ${ionetNetwork(emulators)}]`, 2);
    const result = await stoa(['deploy'], dir, emulators.env);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /over budget: the plan costs \$6\.39\/h \(akash 1 × \$6\.00\/h = \$6\.00\/h \+ ionet 1 × \$0\.3900\/h = \$0\.3900\/h\), budget.maxPerHour is \$2\.00\/h/,
    );
    expect(await rows(dir)).toMatchObject({ deployments: 0, replicas: 0 });
    expect(emulators.active()).toBe(0);
  });

  it('no bids on Akash: the replica lands on io.net, the decision is recorded, no lease is left', async () => {
    const dir = project('nobids', `[${akashNetwork(noBids)}, ${ionetNetwork(noBids)}]`);
    const deployed = json<Deployed>(await stoa(['deploy', '--json'], dir, noBids.env));
    expect(deployed.endpoints).toHaveLength(2);
    const { decisions } = await rows(dir);
    expect(decisions.join('\n')).toMatch(/akash refused: capacity\/no-bids/);
    expect(decisions.join('\n')).toMatch(/moving to ionet/);
    expect(noBids.akash.activeResources()).toBe(0);
    expect(noBids.ionet.activeContainers()).toBe(2);
    expect((await stoa(['teardown'], dir, noBids.env)).code).toBe(0);
    expect(noBids.active()).toBe(0);
  });

  it('bad credentials on Akash: the replica lands on io.net, its nodes given the gateway’s public key only', async () => {
    const dir = project('badcreds', `[${akashNetwork(emulators)}, ${ionetNetwork(emulators)}]`);
    const gatewaySecret = 'a-gateway-secret-for-this-test-0123456789';
    const env = {
      ...emulators.env,
      AKASH_MNEMONIC: 'not a mnemonic',
      STOA_GATEWAY_SECRET: 'env:TEST_GATEWAY_SECRET',
      TEST_GATEWAY_SECRET: gatewaySecret,
    };
    const deployed = json<Deployed>(await stoa(['deploy', '--json'], dir, env));
    expect(deployed.endpoints).toHaveLength(2);
    // What the deploy engine put in the io.net manifests: the public key and the deployment's
    // id, which let the nodes check the gateway's signatures; no secret, no private key.
    const signingKey = gatewaySigningKey(Buffer.from(gatewaySecret, 'utf8'));
    const { d } = signingKey.export({ format: 'jwk' });
    const manifests = [...emulators.ionet.deployments.values()].map((m) => m.env);
    expect(manifests.length).toBeGreaterThan(0);
    for (const nodeEnv of manifests) {
      expect(nodeEnv.STOA_GATEWAY_PUBLIC_KEY).toBe(gatewayPublicKey(signingKey));
      expect(nodeEnv.STOA_GATEWAY_DEPLOYMENT_ID).toBeTruthy();
      const text = JSON.stringify(nodeEnv);
      expect(text).not.toContain(gatewaySecret);
      expect(text).not.toContain(d);
    }
    expect((await rows(dir)).decisions.join('\n')).toMatch(
      /akash refused: user\/bad-credentials.*\n.*moving to ionet/,
    );
    expect(emulators.akash.activeResources()).toBe(0);
    expect((await stoa(['teardown'], dir, env)).code).toBe(0);
    expect(emulators.active()).toBe(0);
  });

  it('io.net answers 5xx: its replica goes to Akash, the next-best', async () => {
    const dir = project(
      'fivexx',
      `[{ adapter: 'ionet', endpoint: '${failingUrl}', gpu: 'nvidia-rtx4090', credentials: { apiKey: 'env:IONET_API_KEY' } }, ${akashNetwork(emulators)}]`,
      15,
    );
    const result = await stoa(['deploy', '--json'], dir, emulators.env);
    const deployed = json<Deployed>(result);
    expect(deployed.plan, result.stdout + result.stderr).toBeDefined();
    expect(deployed.plan.placements.map((p) => p.network)).toEqual(['akash', 'akash']);
    expect(deployed.plan.decisions.join('\n')).toMatch(/ionet: .*502.*go to akash \(next-best\)/);
    expect(emulators.akash.activeResources()).toBe(4); // two deployments, each with its lease
    expect((await stoa(['teardown'], dir, emulators.env)).code).toBe(0);
    expect(emulators.active()).toBe(0);
  });
});
