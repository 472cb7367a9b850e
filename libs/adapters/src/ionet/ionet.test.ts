import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityError, UserError } from '../core/errors.js';
import { MemoryRecordStore } from '../core/record-store.js';
import { conformanceSuite } from '../kit/conformance.js';
import { ionetAdapter } from './adapter.js';
import { IonetEmulator } from './emulator.js';

const spec = {
  name: 'io',
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  gpu: { kind: 'nvidia-rtx4090', count: 1 },
  replicas: 2,
};

conformanceSuite(vitest, 'ionet (emulator)', async () => {
  const emu = await new IonetEmulator({ apiKey: 'io-good' }).start();
  const poor = await new IonetEmulator({ apiKey: 'io-good', balance: 0.01 }).start();
  return {
    adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: emu.url }),
    spec,
    activeResources: async () => emu.activeContainers(),
    failures: [
      {
        name: 'bad credentials',
        kind: 'user',
        code: 'bad-credentials',
        adapter: ionetAdapter({ apiKey: 'nope', baseUrl: emu.url }),
      },
      {
        name: 'no funds',
        kind: 'user',
        code: 'no-funds',
        adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: poor.url }),
      },
      {
        name: 'no capacity',
        kind: 'capacity',
        code: 'no-capacity',
        adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: emu.url }),
        spec: { ...spec, gpu: { kind: 'nvidia-a100', count: 1 }, replicas: 5 },
      },
    ],
    close: async () => {
      await emu.close();
      await poor.close();
    },
  };
});

describe('ionet adapter', () => {
  let emu: IonetEmulator;
  beforeAll(async () => {
    emu = await new IonetEmulator({ apiKey: 'k' }).start();
  });
  afterAll(() => emu.close());

  it('sends the documented deploy payload, with no key in it', async () => {
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    const dep = await a.provision(
      { ...spec, name: 'io-payload', replicas: 1 },
      { store: new MemoryRecordStore() },
    );
    const d = emu.deployments.get(dep.data.deploymentId as string)!;
    expect(d).toMatchObject({
      name: 'io-payload',
      hardware_id: 27,
      replica_count: 1,
      image: expect.stringContaining('node'),
    });
    expect(await a.quote(spec)).toEqual([
      expect.objectContaining({ adapter: 'ionet', pricePerHourUsd: 0.39 }),
    ]);
    await a.teardown(dep);
    expect(emu.activeContainers()).toBe(0);
  });

  it('classifies failures', async () => {
    await expect(ionetAdapter({ apiKey: 'bad', baseUrl: emu.url }).quote(spec)).rejects.toBeInstanceOf(
      UserError,
    );
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    await expect(
      a.provision({ ...spec, name: 'io-region', region: 'mars' }, { store: new MemoryRecordStore() }),
    ).rejects.toBeInstanceOf(CapacityError);
  });
});
