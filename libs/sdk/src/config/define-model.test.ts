import { describe, expect, it } from 'vitest';
import { defineModel, parseConfig } from './define-model.js';
import { ConfigError } from './errors.js';

const good = {
  name: 'mnist-cnn',
  model: { onnx: './model.onnx', calibration: './calibration.json' },
  networks: ['self-hosted', { adapter: 'akash', gpu: 'nvidia-rtx4090', maxPricePerHour: 1 }],
  budget: { maxPerHour: 5, maxTotal: 100 },
  scaling: { min: 1, max: 4 },
};

/** Parses `mutate(good)` and returns the problems' paths and messages. */
function problemsOf(mutate: (c: Record<string, unknown>) => unknown): { path: string; message: string }[] {
  try {
    parseConfig(mutate(structuredClone(good) as Record<string, unknown>));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('the config was accepted');
}

const set = (path: string, value: unknown) => (c: Record<string, unknown>) => {
  const keys = path.split('.');
  let at: Record<string, unknown> = c;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[keys.at(-1)!];
  else at[keys.at(-1)!] = value;
  return c;
};

const BAD: [string, (c: Record<string, unknown>) => unknown, string, RegExp][] = [
  ['missing name', set('name', undefined), 'name', /required/],
  ['upper-case name', set('name', 'MNIST'), 'name', /lower-case/],
  ['model without onnx', set('model.onnx', undefined), 'model.onnx', /expected string/],
  ['model not .onnx', set('model.onnx', './model.pt'), 'model.onnx', /'\.onnx' file/],
  ['calibration of strings', set('model.calibration', [['a']]), 'model.calibration', /finite numbers/],
  ['empty calibration', set('model.calibration', []), 'model.calibration', /non-empty/],
  ['activation width 12', set('model.activationBits', 12), 'model.activationBits', /8 or 16/],
  ['unknown model field', set('model.quantize', true), 'model', /unknown field 'quantize'/],
  ['no networks', set('networks', []), 'networks', /at least one network/],
  ['unknown network', set('networks', ['self-hosted', 'aws']), 'networks[1].adapter', /'akash'/],
  [
    'bad gpu',
    set('networks', ['self-hosted', { adapter: 'akash', gpu: 'H100' }]),
    'networks[1].gpu',
    /nvidia-h100/,
  ],
  ['zero replicas', set('networks', [{ adapter: 'ionet', replicas: 0 }]), 'networks[0].replicas', />=1/],
  [
    'bad region',
    set('networks', [{ adapter: 'akash', regions: ['US West'] }]),
    'networks[0].regions[0]',
    /region/,
  ],
  [
    'negative price',
    set('networks', [{ adapter: 'akash', maxPricePerHour: -1 }]),
    'networks[0].maxPricePerHour',
    /positive/,
  ],
  [
    'inlined secret',
    set('networks', [{ adapter: 'ionet', credentials: { apiKey: 'io-secret-123' } }]),
    'networks[0].credentials.apiKey',
    /env:NAME/,
  ],
  [
    'bad endpoint',
    set('networks', [{ adapter: 'ionet', endpoint: 'not a url' }]),
    'networks[0].endpoint',
    /URL/,
  ],
  [
    'duplicate network',
    set('networks', ['akash', 'akash']),
    'networks[1].adapter',
    /already listed at networks\[0\]/,
  ],
  [
    'network above budget',
    set('networks', [{ adapter: 'akash', maxPricePerHour: 9 }]),
    'networks[0].maxPricePerHour',
    /above budget.maxPerHour \(5/,
  ],
  [
    'gpu on this machine',
    set('networks', [{ adapter: 'self-hosted', gpu: 'nvidia-h100' }]),
    'networks[0].gpu',
    /'cpu'/,
  ],
  ['missing budget', set('budget', undefined), 'budget', /expected object/],
  ['zero budget', set('budget', { maxPerHour: 0 }), 'budget.maxPerHour', /positive/],
  ['fee budget in dollars', set('budget', { maxPerHour: 5, maxFees: '5 usd' }), 'budget.maxFees', /'1 eth'/],
  [
    'fee budget below one fee',
    set('budget', { maxPerHour: 5, maxFees: '5 wei' }),
    'budget.maxFees',
    /does not pay one request \(verification.feePerRequest is 1000000000000 wei\)/,
  ],
  ['bad stake unit', set('verification', { stake: '1 dollar' }), 'verification.stake', /'1 eth'/],
  ['audit rate above 1', set('verification', { auditRate: 1.5 }), 'verification.auditRate', /\[0, 1\]/],
  [
    'bad one-step mode',
    set('verification', { oneStep: 'snark' }),
    'verification.oneStep',
    /'reexec' or 'zk'/,
  ],
  [
    'bad challenge window',
    set('verification', { challengeWindow: '1 week' }),
    'verification.challengeWindow',
    /'1h'/,
  ],
  [
    'slash above stake',
    set('verification', { stake: '1 eth', slash: '2 eth' }),
    'verification.slash',
    /exceeds/,
  ],
  ['free challenges', set('verification', { challengeBond: 0n }), 'verification.challengeBond', /positive/],
  ['bad chain', set('chain', 'mainnet'), 'chain', /'dev'/],
  [
    'chain with inlined key',
    set('chain', { rpcUrl: 'http://127.0.0.1:8545', contracts: 'c.json', key: '0xabc' }),
    'chain.key',
    /env:NAME/,
  ],
  ['scaling max below min', set('scaling', { min: 3, max: 2 }), 'scaling.max', /at least min/],
  ['scaling below replicas', set('scaling', { min: 1, max: 1 }), 'scaling.max', /at least 2/],
  ['unknown top-level field', set('regions', ['eu']), '(root)', /unknown field 'regions'/],
];

describe('defineModel', () => {
  it('accepts a good config and fills the defaults', () => {
    const config = defineModel(good as Parameters<typeof defineModel>[0]);
    expect(config.networks.map((n) => n.adapter)).toEqual(['self-hosted', 'akash']);
    expect(config.networks[0]!.gpu).toBe('cpu');
    expect(config.verification.stake).toBe(10n ** 18n);
    expect(config.verification.challengeWindow).toBe(3600);
    expect(config.chain).toBe('dev');
    expect(config.model.activationBits).toBe(8);
  });

  it('parses units: amounts and durations', () => {
    const config = parseConfig({
      ...good,
      verification: { stake: '2.5 eth', claimBond: '5 gwei', challengeWindow: '2h', auditRate: 0.2 },
    });
    expect(config.verification.stake).toBe(2_500_000_000_000_000_000n);
    expect(config.verification.claimBond).toBe(5_000_000_000n);
    expect(config.verification.challengeWindow).toBe(7200);
  });

  it('accepts an adapter plugin object', () => {
    const plugin = {
      name: 'my-cloud',
      quote: async () => [],
      provision: async () => ({}),
      status: async () => ({}),
      teardown: async () => {},
    };
    const config = parseConfig({
      ...good,
      networks: [plugin, { adapter: plugin, endpoint: 'http://127.0.0.1:1' }],
    });
    expect(config.networks[0]!.adapter).toBe(plugin);
  });

  it.each(BAD)('refuses %s, naming the field path', (_what, mutate, path, message) => {
    const problems = problemsOf(mutate);
    const problem = problems.find((p) => p.path === path);
    expect(problem, `problems were ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message).toMatch(message);
  });

  it('refuses verification under which cheating pays, with the calculator numbers', () => {
    const problems = problemsOf(set('verification', { auditRate: 0.001, costPerRequest: '0.1 eth' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('verification.auditRate');
    // gain 0.1 eth unnoticed vs loss 1 eth stake + 0.01 eth claim bond: break-even 0.1/(0.1+1.01).
    expect(problems[0]!.message).toMatch(/cheating pays/);
    expect(problems[0]!.message).toContain('gains 100000000000000000 wei');
    expect(problems[0]!.message).toContain('risks 1010000000000000000 wei');
    expect(problems[0]!.message).toMatch(/raise 'verification.auditRate' above 0\.0901/);
  });

  it('lists every problem at once and says where in the message', () => {
    expect(() =>
      parseConfig({ ...good, name: 'X', budget: { maxPerHour: -1 } }, '/p/stoa.config.ts'),
    ).toThrow(/\/p\/stoa.config.ts is invalid:\n {2}name: .*\n {2}budget.maxPerHour: /);
  });
});
