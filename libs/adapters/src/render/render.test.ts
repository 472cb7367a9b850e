import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceSuite } from '../kit/conformance.js';
import { renderAdapter } from './adapter.js';
import { RenderEmulator } from './emulator.js';
import { renderAuthHeaders } from './signing.js';

const spec = {
  name: 'rn',
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  gpu: { kind: 'nvidia-rtx4090', count: 1 },
  replicas: 2,
};
const keys = { 'key-1': 'secret-1' };

conformanceSuite(vitest, 'render (emulator)', async () => {
  const emu = await new RenderEmulator({ keys }).start();
  const poor = await new RenderEmulator({ keys, credits: 0 }).start();
  const good = (url: string) => renderAdapter({ keyId: 'key-1', secret: 'secret-1', baseUrl: url });
  return {
    adapter: good(emu.url),
    spec,
    activeResources: async () => emu.activeRuns(),
    failures: [
      {
        name: 'bad credentials',
        kind: 'user',
        code: 'bad-credentials',
        adapter: renderAdapter({ keyId: 'key-1', secret: 'wrong', baseUrl: emu.url }),
      },
      { name: 'no funds', kind: 'user', code: 'no-funds', adapter: good(poor.url) },
      {
        name: 'no capacity',
        kind: 'capacity',
        code: 'no-capacity',
        adapter: good(emu.url),
        spec: { ...spec, gpu: { kind: 'nvidia-a100', count: 1 } },
      },
    ],
    close: async () => {
      await emu.close();
      await poor.close();
    },
  };
});

describe('render signing', () => {
  let emu: RenderEmulator;
  beforeAll(async () => {
    emu = await new RenderEmulator({ keys }).start();
  });
  afterAll(() => emu.close());
  it('rejects tampered bodies and stale timestamps', async () => {
    const path = '/v1/jobs';
    const h = renderAuthHeaders('key-1', 'secret-1', 'POST', path, '{"a":1}');
    const r1 = await fetch(`${emu.url}${path}`, { method: 'POST', headers: h, body: '{"a":2}' });
    expect(r1.status).toBe(401);
    const old = renderAuthHeaders('key-1', 'secret-1', 'GET', path, '', Date.now() - 3_600_000);
    expect((await fetch(`${emu.url}${path}`, { headers: old })).status).toBe(401);
    const ok = renderAuthHeaders('key-1', 'secret-1', 'GET', path, '');
    expect((await fetch(`${emu.url}${path}`, { headers: ok })).status).toBe(200);
  });
});
